"""The book's own error for a dataset file or folder it cannot use."""

from __future__ import annotations

__all__ = ["DatasetFileError"]


class DatasetFileError(RuntimeError):
    """A dataset file or folder is missing, unreadable, unwritable or corrupt.

    The message names the file (or folder) and the fix.
    """
