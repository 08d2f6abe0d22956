"""Files the user names (CA files, the config file): read with a size limit, and errors that
say which file, from which option, and what to do."""

from __future__ import annotations

from post_renderer.errors import ConfigError, shown


def read_user_file(path: str, limit: int, what: str,
                   relative_to: str = "the current directory") -> bytes:
    """At most ``limit`` bytes of ``path``; ``what`` names it in errors ("CA file (--ca-file)"),
    ``relative_to`` says where a relative path starts from."""
    name = shown(path, quoted=False)
    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except FileNotFoundError:
        raise ConfigError(f"{what} {name} does not exist",
                          hint=f"check the path; a relative path starts from {relative_to}"
                          ) from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {name} is a directory", hint="name the file itself") from None
    except PermissionError:
        raise ConfigError(f"{what} {name} cannot be read (permission denied)",
                          hint="check the file's permissions") from None
    except OSError as error:
        raise ConfigError(f"{what} {name} cannot be read ({error.strerror})",
                          hint="check the path") from None
    except ValueError:  # a NUL or an unpaired surrogate (from a config file): no file has it
        raise ConfigError(f"{what} {name} is not a file name a system can hold (a NUL or an "
                          "unpaired surrogate in it)", hint="check the path") from None
