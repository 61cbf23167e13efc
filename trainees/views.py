"""The worker's own pages: SMS sign-in, privacy notice, profile and data rights."""

import json
import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from trainees import selectors
from trainees.forms import CodeForm, PhoneForm, ProfileForm
from trainees.services import profile as profile_service
from trainees.services import signin as signin_service
from trainees.services.identity import PRIVACY_NOTICE_VERSION, DuplicateWorker

worker_login_required = login_required(login_url=reverse_lazy("trainees:signin"))
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"
REGION_CODE = re.compile(r"^\d{12}$")


def _safe_next(request: HttpRequest) -> str:
    """The `next` target when it stays on this site, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _notice_context() -> dict:
    return {
        "notice_version": PRIVACY_NOTICE_VERSION,
        "contact": profile_service.privacy_contact(),
        "profile_years": profile_service.PROFILE_RETENTION_YEARS,
        "training_years": profile_service.TRAINING_RECORD_RETENTION_YEARS,
        "deletion_days": profile_service.DELETION_WORKING_DAYS,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    form = PhoneForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            signin_service.request_code(phone=phone, ip=signin_service.client_ip(request))
        except signin_service.SignInRefused as refusal:
            form.add_error("phone", refusal.message)
            status = 429
        else:
            request.session[signin_service.SESSION_PENDING_PHONE] = phone
            return redirect(_with_next(reverse("trainees:signin_code"), next_url))
    return render(
        request,
        "trainees/signin.html",
        {"form": form, "next": next_url, **_notice_context()},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def signin_code(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    phone = request.session.get(signin_service.SESSION_PENDING_PHONE, "")
    if not phone:
        return redirect(_with_next(reverse("trainees:signin"), next_url))
    ip = signin_service.client_ip(request)
    here = _with_next(reverse("trainees:signin_code"), next_url)
    status = 200
    form = CodeForm()
    if request.method == "POST" and "resend" in request.POST:
        try:
            result = signin_service.request_code(phone=phone, ip=ip)
        except signin_service.SignInRefused as refusal:
            messages.error(request, refusal.message)
        else:
            if result.sent:
                messages.success(request, _("A new code is on its way."))
            else:
                messages.info(request, _("Please wait a little before asking for a new code."))
        return redirect(here)
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                signin_service.check_code(phone=phone, code=form.cleaned_data["code"], ip=ip)
                user = signin_service.user_for_phone(phone=phone)
            except signin_service.SignInRefused as refusal:
                form.add_error("code", refusal.message)
                status = 429 if refusal.code.startswith("too_many") else 400
            else:
                # A fresh session key either way (login() keeps the key for the same user).
                request.session.cycle_key()
                login(request, user, backend=SIGN_IN_BACKEND)
                request.session.pop(signin_service.SESSION_PENDING_PHONE, None)
                request.session[signin_service.SESSION_PHONE] = phone
                return redirect(next_url or reverse("trainees:my_data"))
        else:
            status = 400
    masked = f"{phone[:3]}****{phone[-4:]}"
    return render(
        request,
        "trainees/signin_code.html",
        {
            "form": form,
            "next": next_url,
            "masked_phone": masked,
            "resend_in": signin_service.resend_in(phone=phone),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def signout(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        logout(request)
        return redirect(_safe_next(request) or "/")
    return render(request, "trainees/signout.html", {"next": _safe_next(request)})


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "trainees/privacy.html", _notice_context())


@require_GET
def regions(request: HttpRequest) -> JsonResponse:
    """Children of a division for the cascading picker; counties without `parent`."""
    parent = request.GET.get("parent", "")
    if parent and not REGION_CODE.match(parent):
        return JsonResponse({"error": "parent must be a 12-digit division code"}, status=400)
    response = JsonResponse({"regions": selectors.region_children(parent_code=parent)})
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _add_errors(form: ProfileForm, error: ValidationError) -> None:
    """Put a service's error on the field it names, or above the form for other fields."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


@never_cache
@worker_login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    phone = signin_service.signed_in_phone(request=request)
    worker = selectors.worker_for_user(user=request.user)
    if worker is None and phone:
        worker = signin_service.link_existing_worker(user=request.user, phone=phone)
    if worker is None and not phone:
        # A staff account signed in with a password: it has no proven phone to file under.
        return render(request, "trainees/no_phone.html", status=403)
    needs_consent = worker is None or not selectors.has_current_privacy_consent(worker=worker)
    form_options = {
        "user_id": request.user.pk,
        "worker": worker,
        "needs_privacy_consent": needs_consent,
    }
    duplicate = None
    show_errors = True
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST, **form_options)
        if "step" in request.POST:
            # No-JavaScript region picker: show the next list, keep everything, judge nothing.
            form.is_valid()
            show_errors = False
        elif form.is_valid():
            try:
                profile_service.save_own_profile(
                    user=request.user, phone=phone, worker=worker, submission=form.submission()
                )
            except DuplicateWorker as error:
                duplicate = error
                _add_errors(form, error)
                if "id_number" in error.message_dict:
                    form.forget_carried_id()
                status = 409
            except ValidationError as error:
                _add_errors(form, error)
                status = 400
            else:
                messages.success(request, _("Your details are saved."))
                return redirect("trainees:my_data")
            worker = selectors.worker_for_user(user=request.user)  # drop unsaved changes
        else:
            status = 400
    else:
        form = ProfileForm(initial=ProfileForm.initial_for(worker), **form_options)
    return render(
        request,
        "trainees/profile_form.html",
        {
            "form": form,
            "worker": worker,
            "phone": phone,
            "masked_phone": f"{phone[:3]}****{phone[-4:]}" if phone else "",
            "needs_consent": needs_consent,
            "show_errors": show_errors,
            "duplicate": duplicate,
            **_notice_context(),
        },
        status=status,
    )


@never_cache
@worker_login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    worker = selectors.worker_for_user(user=request.user)
    if worker is None:
        return redirect("trainees:profile")
    return render(
        request,
        "trainees/my_data.html",
        {"data": selectors.own_data(worker=worker), **_notice_context()},
    )


@never_cache
@worker_login_required
@require_http_methods(["GET", "POST"])
def my_data_download(request: HttpRequest) -> HttpResponse:
    """POST only does the download (it writes an audit row and holds the full ID number)."""
    worker = selectors.worker_for_user(user=request.user)
    if worker is None:
        return redirect("trainees:profile")
    if request.method != "POST":
        return redirect("trainees:my_data")
    data = profile_service.export_worker_data(worker=worker, actor=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    filename = f"my-data-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@worker_login_required
@require_http_methods(["GET", "POST"])
def delete_request(request: HttpRequest) -> HttpResponse:
    worker = selectors.worker_for_user(user=request.user)
    if worker is None:
        return redirect("trainees:profile")
    if request.method == "POST":
        profile_service.request_deletion(worker=worker, actor=request.user)
        return redirect("trainees:delete_request")
    return render(request, "trainees/delete_request.html", {"worker": worker, **_notice_context()})
