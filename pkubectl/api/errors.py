"""API errors shaped like Kubernetes' metav1.Status, printed the way kubectl prints them."""
from __future__ import annotations


class ApiError(Exception):
    """A Status failure: HTTP code, reason, message (and causes for Invalid)."""

    def __init__(self, code: int, reason: str, message: str, causes: list | None = None,
                 kind: str = "", name: str = ""):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.causes = causes or []
        self.kind, self.name = kind, name

    def kubectl_text(self) -> str:
        """What kubectl prints on stderr for this error (without a trailing newline)."""
        if getattr(self, "local_state", False):
            return f"error: {self.message}"
        if self.reason == "Invalid" and self.causes:
            if all(isinstance(c, str) for c in self.causes):
                head = f'The {self.kind} "{self.name}" is invalid: '
                if len(self.causes) == 1:
                    return head + self.causes[0]
                return head + "\n" + "\n".join(f"* {c}" for c in self.causes)
            from pkubectl.api.validation import format_invalid
            return format_invalid(self.kind, "", self.name, self.causes)
        if self.reason:
            return f"Error from server ({self.reason}): {self.message}"
        return f"Error from server: {self.message}"


def not_found(resource: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{resource} "{name}" not found', name=name)


def already_exists(resource: str, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{resource} "{name}" already exists', name=name)


def conflict(resource: str, name: str) -> ApiError:
    return ApiError(409, "Conflict",
                    f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; '
                    f'please apply your changes to the latest version and try again', name=name)


def invalid(kind: str, group: str, name: str, causes: list) -> ApiError:
    from pkubectl.api.validation import status_message
    if causes and isinstance(causes[0], str):
        qualified = f"{kind}.{group}" if group else kind
        joined = causes[0] if len(causes) == 1 else "[" + ", ".join(causes) + "]"
        message = f'{qualified} "{name}" is invalid: {joined}'
        return ApiError(422, "Invalid", message, list(causes), kind=kind, name=name)
    return ApiError(422, "Invalid", status_message(kind, group, name, causes), causes, kind=kind, name=name)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "Forbidden", message)


def unavailable(message: str) -> ApiError:
    """The local state directory cannot be used (read-only, full, another user's). It is
    the client's own storage, so the CLI reports it as a client error (`error: ...`)."""
    e = ApiError(503, "ServiceUnavailable", message)
    e.local_state = True
    return e
