"""Sign-in per person: the login form, session cookies (HttpOnly, SameSite, expiring) and CSRF checks."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from projections import identity, sessions
from projections.identity import IdentityStore, LockedOut, Lockout
from projections.web.rendering import language, render

SESSION_COOKIE = "ff_session"
LOGIN_CSRF_COOKIE = "ff_login_csrf"


@dataclass(frozen=True)
class WebConfig:
    """How the dashboards treat people: session length, lock-out, cookie security."""

    session_minutes: float = 480.0
    max_failures: int = 5
    lockout_seconds: float = 300.0
    secure_cookies: bool = False

    @property
    def lockout(self) -> Lockout:
        return Lockout(self.max_failures, self.lockout_seconds)


class NotSignedIn(Exception):
    """Raised by a page when the request carries no live session: the handler sends it to sign in."""


def current_session(request: Request, store: IdentityStore) -> sessions.Session:
    token = request.cookies.get(SESSION_COOKIE)
    found = sessions.lookup(store.engine, token) if token else None
    if found is None:
        raise NotSignedIn
    return found


def check_csrf(session: sessions.Session, submitted: str) -> None:
    """A form's CSRF token must be its session's (compared in constant time); 403 otherwise."""
    if not secrets.compare_digest(session.csrf_token.encode(), submitted.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form's CSRF token does not match")


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an absolute or scheme-relative URL (no open redirect)."""
    if target and target.startswith("/ui") and not target.startswith("//"):
        return target
    return "/ui/"


def signin_router(store: IdentityStore, config: WebConfig) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def form(request: Request, error: str | None = None, code: int = 200) -> Response:
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
        response = render(
            request,
            "login.html",
            status_code=code,
            csrf_token=token,
            error=error,
            next=_safe_next(request.query_params.get("next")),
            viewer=None,
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=config.secure_cookies,
            path="/ui",
        )
        return response

    @router.get("/ui/login")
    def login_form(request: Request) -> Response:
        return form(request)

    @router.post("/ui/login")
    def login(
        request: Request,
        user_id: str = Form(...),
        password: str = Form(...),
        csrf_token: str = Form(...),
        next: str = Form("/ui/"),
    ) -> Response:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not secrets.compare_digest(expected.encode(), csrf_token.encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "the form's CSRF token does not match")
        lang = language(request)
        try:
            user = identity.sign_in(store.engine, user_id.strip(), password, config.lockout)
        except LockedOut:
            return form(request, lang.gettext("Too many failed sign-ins: try again in a few minutes."), 429)
        if user is None:
            return form(request, lang.gettext("Wrong user name or password."), 401)
        lifetime = timedelta(minutes=config.session_minutes)
        token, _session = sessions.start(store.engine, user, lifetime)
        response = RedirectResponse(_safe_next(next), status.HTTP_303_SEE_OTHER)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(lifetime.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=config.secure_cookies,
            path="/",
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/ui")
        return response

    @router.post("/ui/logout")
    def logout(request: Request, csrf_token: str = Form(...)) -> Response:
        session = current_session(request, store)
        check_csrf(session, csrf_token)
        sessions.end(store.engine, request.cookies[SESSION_COOKIE])
        response = RedirectResponse("/ui/login", status.HTTP_303_SEE_OTHER)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/ui/login?next={quote(target)}", status.HTTP_303_SEE_OTHER)
