// Sphinx's search shows a summary under each result, which it fetch()es from the page; over
// file:// Chromium refuses fetch(), so there the results show their titles only.
if (location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS !== "undefined") {
  DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
}
