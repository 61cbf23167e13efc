"""What the JSON APIs (check-in: events.api, statistics: events.reports.api) share: the error a
view raises and the answers they give, errors included:
{"status": "error", "code": "...", "message": "..."}."""

import functools
from collections.abc import Callable

from django.http import HttpRequest, JsonResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def json_response(data: dict, status: int = 200) -> JsonResponse:
    """JSON as written (no \\u escapes), for nobody's cache but the caller's: the answer depends
    on who asks (the Authorization header or the session cookie)."""
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    add_never_cache_headers(response)
    patch_vary_headers(response, ["Authorization", "Cookie"])
    return response


def error_response(status: int, code: str, message: str) -> JsonResponse:
    return json_response({"status": "error", "code": code, "message": message}, status=status)


def json_errors(view: Callable) -> Callable:
    """The view with an ApiError it raises answered as error_response."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ApiError as error:
            return error_response(error.status, error.code, error.message)

    return wrapper
