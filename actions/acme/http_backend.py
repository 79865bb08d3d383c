"""``HttpBusiness``: the ``Business`` interface over a retailer's own HTTP API.

This is what a real deployment implements. All bodies are JSON; dates are ``YYYY-MM-DD``,
datetimes ISO 8601 with an offset, money integer cents. Ids in paths are URL-encoded.

Reads (``GET``; ``404`` means "no such customer" and gives ``None`` or an empty list)::

    GET {base}/customers?phone=+15550100001     -> Customer   (the number always in E.164)
    GET {base}/customers/{id}                   -> Customer
    GET {base}/customers/{id}/orders            -> [Order, ...]
    GET {base}/customers/{id}/subscriptions     -> [Subscription, ...]
    GET {base}/customers/{id}/payment-methods   -> [PaymentMethod, ...]
    GET {base}/customers/{id}/refunds?since=2024-06-01T00:00:00+00:00  -> [Refund, ...]

    Customer      {"id", "name", "phone", "email", "balance_cents", "status"}
    Order         {"id", "customer_id", "item", "total_cents", "refunded_cents", "status",
                   "placed_on", "delivery_date" | null, "delivery_slot" | null, "address",
                   "payment_method_id" | null}   (the card the order was paid with)
    Subscription  {"id", "customer_id", "plan", "price_cents", "status", "renews_on" | null}
    PaymentMethod {"id", "customer_id", "brand", "last4", "is_default"}
    Refund        {"id", "order_id", "customer_id", "amount_cents", "created_at"}

Actions::

    POST {base}/actions/{kind}
    Idempotency-Key: <key>
    {"customer_id": "C001",
     "params": {"order_id": "1001", "amount_cents": 4250, "destination": "original_payment_method"}}
    -> 200 {"ok": true, "message": "...", "details": {...}, "replayed": false}

``kind`` and ``params`` are those of ``actions.domain.business.ACTION_KINDS``. A refund's
``destination`` is always sent: ``original_payment_method`` refunds the order's own payment
(the card it was paid with) and must leave ``balance_cents`` as it is; ``store_credit``, which
the customer asked for explicitly, adds the amount to ``balance_cents`` instead. Either way it
is a refund of the order (it counts towards ``refunded_cents`` and is listed in refunds). The server
must run each key at most once and answer a repeated key with the stored result and
``"replayed": true``. A business refusal is ``200`` with ``"ok": false`` and a message the
customer can read. Any other ``4xx`` (bad parameters, a key reused for a different action,
bad credentials) is returned to the assistant as ``ok=False`` with the server's
``message``; ``5xx`` means "try again later" and raises ``BusinessUnavailable``.

Every request carries ``Authorization: Bearer <api_key>`` when a key is configured.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, TypeVar
from urllib.parse import quote

import requests

from actions.domain.business import (
    ActionRequest,
    BusinessUnavailable,
    Customer,
    ExecutionResult,
    Order,
    PaymentMethod,
    Refund,
    Subscription,
)
from actions.domain.phones import DEFAULT_REGION, e164

T = TypeVar("T")


class HttpBusiness:
    """Synchronous client: it is called from worker threads, never on the event loop."""

    def __init__(
        self,
        base_url: str,
        api_key: Optional[str] = None,
        timeout: float = 10.0,
        *,
        session: Optional[requests.Session] = None,
        phone_region: str = DEFAULT_REGION,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"The business API URL must start with http:// or https://, got {base_url!r}.")
        if timeout <= 0:
            raise ValueError(f"The business API timeout must be a positive number of seconds, got {timeout!r}.")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = session or requests.Session()
        self.phone_region = phone_region
        self._headers: Dict[str, str] = {"Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"

    # -- reads ---------------------------------------------------------------------------

    def find_customer_by_phone(self, phone: str) -> Optional[Customer]:
        body = self._get("/customers", {"phone": e164(phone, self.phone_region)})
        return None if body is None else _parse(body, _customer)

    def get_customer(self, customer_id: str) -> Optional[Customer]:
        body = self._get(f"/customers/{_seg(customer_id)}")
        return None if body is None else _parse(body, _customer)

    def orders(self, customer_id: str) -> Sequence[Order]:
        return self._list(f"/customers/{_seg(customer_id)}/orders", _order)

    def subscriptions(self, customer_id: str) -> Sequence[Subscription]:
        return self._list(f"/customers/{_seg(customer_id)}/subscriptions", _subscription)

    def payment_methods(self, customer_id: str) -> Sequence[PaymentMethod]:
        return self._list(f"/customers/{_seg(customer_id)}/payment-methods", _payment_method)

    def refunds_since(self, customer_id: str, since: datetime) -> Sequence[Refund]:
        aware = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
        return self._list(f"/customers/{_seg(customer_id)}/refunds", _refund, {"since": aware.isoformat()})

    # -- actions -------------------------------------------------------------------------

    def execute(self, request: ActionRequest, idempotency_key: str) -> ExecutionResult:
        """POST the action under its key; a dropped connection is retried once with the same key."""
        if not idempotency_key or not idempotency_key.strip():
            raise ValueError("An idempotency key is required: derive it from the approved action's id.")
        url = f"{self.base_url}/actions/{_seg(request.kind)}"
        headers = {**self._headers, "Idempotency-Key": idempotency_key}
        body = {"customer_id": request.customer_id, "params": dict(request.params)}
        response: Optional[requests.Response] = None
        for attempt in (1, 2):
            try:
                response = self._session.post(url, json=body, headers=headers, timeout=self.timeout)
                break
            except requests.ConnectionError as exc:
                # Safe to resend: the server runs the key at most once.
                if attempt == 2:
                    raise self._unreachable(url, exc) from exc
            except requests.Timeout as exc:
                raise BusinessUnavailable(
                    f"The business API at {url} did not answer within {self.timeout:g}s; the action may or may "
                    f"not have run. Retry with the same idempotency key ({idempotency_key}) to find out."
                ) from exc
            except requests.RequestException as exc:
                raise self._unreachable(url, exc) from exc
        assert response is not None
        if response.status_code >= 500:
            raise BusinessUnavailable(
                f"The business API at {url} failed with HTTP {response.status_code}. Check the retailer's API "
                f"logs, then retry with the same idempotency key ({idempotency_key}): it will not run twice."
            )
        if 400 <= response.status_code < 500:
            try:
                payload = response.json()
            except ValueError:
                payload = None
            message = payload.get("message") if isinstance(payload, dict) else None
            return ExecutionResult(
                idempotency_key=idempotency_key,
                kind=request.kind,
                ok=False,
                message=str(message or f"The request was refused (HTTP {response.status_code})."),
                details={"http_status": response.status_code},
            )
        payload = _json(response, url)
        try:
            return ExecutionResult(
                idempotency_key=idempotency_key,
                kind=request.kind,
                ok=bool(payload["ok"]),
                message=str(payload["message"]),
                details=dict(payload.get("details") or {}),
                replayed=bool(payload.get("replayed", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _contract_broken(url, exc) from exc

    # -- plumbing ------------------------------------------------------------------------

    def _get(self, path: str, params: Optional[Mapping[str, str]] = None) -> Any:
        """GET JSON, or ``None`` on 404; every other failure is ``BusinessUnavailable``."""
        url = self.base_url + path
        try:
            response = self._session.get(url, params=params, headers=self._headers, timeout=self.timeout)
        except requests.Timeout as exc:
            raise BusinessUnavailable(
                f"The business API at {url} did not answer within {self.timeout:g}s; check that it is "
                "healthy or raise the timeout."
            ) from exc
        except requests.RequestException as exc:
            raise self._unreachable(url, exc) from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            hint = "check the API key" if response.status_code in (401, 403) else "check the retailer's API logs"
            raise BusinessUnavailable(f"The business API at {url} answered HTTP {response.status_code}; {hint}.")
        return _json(response, url)

    def _list(self, path: str, parse: Callable[[Mapping[str, Any]], T], params: Optional[Mapping[str, str]] = None) -> List[T]:
        body = self._get(path, params)
        if body is None:
            return []
        if not isinstance(body, list):
            raise _contract_broken(self.base_url + path, TypeError("expected a JSON array"))
        return [_parse(item, parse) for item in body]

    def _unreachable(self, url: str, exc: Exception) -> BusinessUnavailable:
        return BusinessUnavailable(
            f"Could not reach the business API at {url} ({type(exc).__name__}). Check that the service is "
            "running and that the configured base URL is right."
        )


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _json(response: requests.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise _contract_broken(url, exc) from exc


def _contract_broken(url: str, exc: Exception) -> BusinessUnavailable:
    return BusinessUnavailable(
        f"The business API at {url} answered with something that doesn't match the contract ({exc}); "
        "see actions/acme/http_backend.py for the expected JSON."
    )


def _parse(body: Any, parse: Callable[[Mapping[str, Any]], T]) -> T:
    try:
        return parse(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise _contract_broken("(response body)", exc) from exc


def _day(value: Optional[str]) -> Optional[date]:
    return date.fromisoformat(value) if value else None


def _customer(b: Mapping[str, Any]) -> Customer:
    return Customer(b["id"], b["name"], b["phone"], b["email"], int(b["balance_cents"]), b.get("status", "active"))


def _order(b: Mapping[str, Any]) -> Order:
    return Order(
        id=str(b["id"]),
        customer_id=b["customer_id"],
        item=b["item"],
        total_cents=int(b["total_cents"]),
        refunded_cents=int(b["refunded_cents"]),
        status=b["status"],
        placed_on=date.fromisoformat(b["placed_on"]),
        delivery_date=_day(b.get("delivery_date")),
        delivery_slot=b.get("delivery_slot"),
        address=b["address"],
        payment_method_id=b.get("payment_method_id"),
    )


def _subscription(b: Mapping[str, Any]) -> Subscription:
    return Subscription(
        b["id"], b["customer_id"], b["plan"], int(b["price_cents"]), b["status"], _day(b.get("renews_on"))
    )


def _payment_method(b: Mapping[str, Any]) -> PaymentMethod:
    return PaymentMethod(b["id"], b["customer_id"], b["brand"], str(b["last4"]), bool(b["is_default"]))


def _refund(b: Mapping[str, Any]) -> Refund:
    created = datetime.fromisoformat(b["created_at"].replace("Z", "+00:00"))
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return Refund(str(b["id"]), str(b["order_id"]), b["customer_id"], int(b["amount_cents"]), created)
