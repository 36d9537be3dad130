"""Refusals as the user reads them: one JSON shape for the API, a Chinese error page for pages.

Every error the API answers is ``ErrorBody``: a Chinese ``detail`` and, for a request that did
not validate, each problem by location and field. The OpenAPI document declares that shape
(``responses``) instead of FastAPI's English default, so what it says is what the API answers.
A path that does not validate (``/awards/abc``, an id beyond 64 bits) is 404: as for an id out
of the user's scope, nothing tells whether such a record exists.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

NOT_FOUND = "未找到：该记录不存在，或不在您的权限范围内"
PAGE_TITLES = {400: "无法处理", 403: "无权访问", 404: "未找到", 409: "状态已变化", 413: "文件过大", 422: "输入有误"}
# What a page calls the query and form parameters it may refuse (a page names no English field).
PAGE_LABELS = {"year": "年度", "batch": "批次", "org_unit": "地区", "expected_version": "版本号", "state": "状态"}


class Problem(BaseModel):
    """One part of a request that did not validate."""

    location: str = Field(description="query, path, body, header, cookie or form")
    field: str = Field(description="the parameter or the body field's path (a.b.0)")
    message: str = Field(description="为什么 why, in Chinese")


class ErrorBody(BaseModel):
    """Every error answer of the API: a Chinese ``detail``; ``problems`` when the request did not validate."""

    detail: str = Field(description="中文说明 what went wrong, in Chinese")
    problems: list[Problem] = Field(default_factory=list)


DESCRIPTIONS = {400: "请求被拒绝 refused (the detail says why)", 401: "未登录 not signed in",
                403: "无权操作 not allowed for this role", 404: "未找到 not found (or outside the user's scope)",
                409: "状态冲突 the record's state does not allow it", 413: "请求过大 request too large",
                422: "输入有误 the request did not validate",
                503: "服务器正忙 every parsing turn is taken: retry after Retry-After seconds"}
BUSY = "服务器正忙于处理其他导入，请稍后再试"


def responses(*codes: int) -> dict[int, dict]:
    """The OpenAPI ``responses`` entries of ``codes``, each answering ``ErrorBody``."""
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in codes}


# Every API route may answer these: not signed in, role refused, a request that did not validate.
API_ERRORS = responses(401, 403, 422)


def _why(error: dict) -> str:
    """A pydantic error's reason in Chinese."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return "必须填写"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {ctx.get('le', ctx.get('lt'))}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于 {ctx.get('ge', ctx.get('gt'))}"
    if kind.startswith("int_"):
        return "应为整数"
    if kind.startswith("bool"):
        return "应为是或否（true/false）"
    if kind.startswith("string"):
        return "应为文本"
    if kind == "json_invalid":
        return "不是有效的 JSON"
    if kind == "extra_forbidden":
        return "不认识的字段"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "应为 JSON 对象"
    if kind == "list_type":
        return "应为列表"
    return "格式不正确"


def problems_of(exc: RequestValidationError) -> list[Problem]:
    """Each validation error as a ``Problem`` (location, field, Chinese reason)."""
    found = []
    for error in exc.errors():
        location, *path = [str(part) for part in error.get("loc", ())] or ["body"]
        found.append(Problem(location=location, field=".".join(path), message=_why(error)))
    return found


async def current_user_or_none(request: Request):
    """The signed-in user, for the error page's menu; None when nobody is signed in."""
    from .security import NotSignedIn, current_user

    try:
        return await current_user(request)
    except NotSignedIn:
        return None


async def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """A Chinese error page keeping the platform's menu."""
    from .pages import render

    context = {"user": await current_user_or_none(request), "title": PAGE_TITLES.get(status, "无法处理"),
               "message": message}
    return HTMLResponse(render(request, "error.html", context), status_code=status)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def validation_failed(request: Request, exc: RequestValidationError):
    """A request that did not validate: 404 for a malformed or out-of-range path (an id), else 422."""
    problems = problems_of(exc)
    if any(p.location == "path" for p in problems):
        if is_api(request):
            return JSONResponse(ErrorBody(detail=NOT_FOUND).model_dump(), status_code=404)
        return await error_page(request, 404, NOT_FOUND)
    if is_api(request):
        detail = "请求有误：" + "；".join(f"{p.field or p.location} {p.message}" for p in problems)
        return JSONResponse(ErrorBody(detail=detail, problems=problems).model_dump(), status_code=422)
    shown = "；".join(f"{PAGE_LABELS.get(p.field, '请求参数')}{p.message}" for p in problems)
    return await error_page(request, 422, f"请求有误：{shown}")


UNPARSABLE_BODY = "There was an error parsing the body"


async def http_error(request: Request, exc: StarletteHTTPException):
    """An HTTPException: the API's JSON as declared; on a page, the Chinese error page (a 404
    page says only that nothing was found, whatever the store's message)."""
    if exc.status_code == 400 and exc.detail == UNPARSABLE_BODY:
        # FastAPI's own answer to a body it cannot decode (bytes that are not UTF-8, say): a
        # request that did not validate, answered as such (422, in Chinese) on every route.
        problem = Problem(location="body", field="", message="请求内容无法解析，应为 UTF-8 编码的 JSON")
        if is_api(request):
            return JSONResponse(ErrorBody(detail=f"请求有误：{problem.message}", problems=[problem]).model_dump(),
                                status_code=422)
        return await error_page(request, 422, f"请求有误：{problem.message}")
    if is_api(request) or exc.status_code < 400 or exc.status_code in (401, 405):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)
    message = NOT_FOUND if exc.status_code == 404 else str(exc.detail)
    return await error_page(request, exc.status_code, message)
