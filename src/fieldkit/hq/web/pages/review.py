"""The review of a record: ``POST /records/{record_id}/review`` (analysts).

Parses the panel's form, calls :func:`fieldkit.hq.review.set_review` with the signed-in
account's name and HQ's signing key, and answers 303 back to the record page. A refused review
answers the panel again with its one-line reason and what was sent; nothing is changed.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fieldkit.hq import review
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.web.context import workspace
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.templating import render

FIELDS = ("status", "grade_source", "grade_info", "note")


def given(form: FormData, name: str) -> str | None:
    """A text field of the form; None when absent or blank."""
    value = form.get(name)
    return value if isinstance(value, str) and value.strip() else None


@route("/records/{record_id}/review", role=Role.ANALYST, methods=("POST",))
def review_post(request: Request, account: Account, form: FormData) -> Response:
    state = workspace(request)
    record_id = str(request.path_params["record_id"])
    sent = {name: given(form, name) for name in FIELDS}
    try:
        outcome = review.set_review(
            state.repository,
            state.keys,
            record_id,
            sent["status"] or "",
            actor=account.name,
            grade_source=sent["grade_source"],
            grade_info=sent["grade_info"],
            note=sent["note"],
        )
    except InvalidInputError as error:
        sheet = review.review_of(state.repository, state.config.signing_public_key, record_id)
        context = {
            "record_id": sheet.record_id,
            "review": sheet,
            "review_error": str(error),
            "review_form": {k: v for k, v in sent.items() if v is not None},
        }
        return render(request, "review/refused.html", context, status_code=400)
    return RedirectResponse(f"/records/{outcome.review.record_id}#review", status_code=303)


routes = [review_post]
