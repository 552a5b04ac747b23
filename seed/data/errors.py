"""One exception type for every bad-input problem, formatted so the user can jump to the line."""


class SeedDataError(ValueError):
    """Bad input data: the message names the file, the line (when known) and the key."""

    def __init__(self, path, problem, line=None, key=None):
        where = str(path) if line is None else f"{path}:{line}"
        what = f" key '{key}':" if key is not None else ""
        super().__init__(f"{where}:{what} {problem}")
        self.path, self.line, self.key, self.problem = str(path), line, key, problem
