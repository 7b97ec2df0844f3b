"""HTTP client of the LGSP document-axis interface (``/lgsp/v1/``), used by a hub to talk to its parent hub
and by an agency system to talk to its hub. Packets are streamed from and to files, never held whole."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import requests


class HubUnavailable(Exception):
    """The other hub did not answer (network, timeout, 5xx): try again later."""


class HubRejected(Exception):
    """The other hub refused the request with an LGSP error code: retrying the same request will not help."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class LgspClient:
    base_url: str
    system_id: str
    secret: str
    timeout: float = 60.0

    def _url(self, operation: str) -> str:
        return self.base_url.rstrip("/") + "/" + operation

    def _headers(self) -> dict[str, str]:
        return {"X-SystemId": self.system_id, "X-SecretKey": self.secret}

    def _json(self, response: requests.Response) -> dict[str, Any]:
        if response.status_code >= 500:
            raise HubUnavailable(f"HTTP {response.status_code} from {response.url}")
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise HubUnavailable(f"not JSON from {response.url} (HTTP {response.status_code})") from exc
        if not body.get("success"):
            raise HubRejected(int(body.get("errorCode", 20)), str(body.get("message", "")))
        return body

    def _call(self, method: str, operation: str, **kwargs: Any) -> requests.Response:
        try:
            return requests.request(
                method,
                self._url(operation),
                headers={**self._headers(), **kwargs.pop("headers", {})},
                timeout=self.timeout,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise HubUnavailable(str(exc)) from exc

    def send(
        self, packet: IO[bytes] | Path, message_type: str = "edoc", trace: list[Any] | None = None
    ) -> str:
        """``sendEdoc``; returns the other hub's docId."""
        headers = {"X-Egov-Trace": json.dumps(trace or [])}
        if isinstance(packet, Path):
            with packet.open("rb") as fh:
                response = self._call(
                    "POST",
                    "sendEdoc",
                    files={"edocFile": ("packet.edxml", fh, "application/xml")},
                    data={"messageType": message_type},
                    headers=headers,
                )
        else:
            response = self._call(
                "POST",
                "sendEdoc",
                files={"edocFile": ("packet.edxml", packet, "application/xml")},
                data={"messageType": message_type},
                headers=headers,
            )
        return str(self._json(response)["docId"])

    def received(self, message_type: str = "") -> list[dict[str, Any]]:
        params = {"messageType": message_type} if message_type else {}
        data: list[dict[str, Any]] = self._json(self._call("GET", "syncReceivedEdocList", params=params))[
            "data"
        ]
        return data

    def fetch(self, doc_id: str, out: IO[bytes]) -> list[Any]:
        """``getEdocFile`` streamed into ``out``; returns the trace the other hub kept."""
        try:
            with requests.get(
                self._url("getEdocFile"),
                params={"docId": doc_id},
                headers=self._headers(),
                timeout=self.timeout,
                stream=True,
            ) as response:
                if response.headers.get("Content-Type", "").startswith("application/json"):
                    self._json(response)
                if response.status_code != 200:
                    raise HubUnavailable(f"HTTP {response.status_code} fetching {doc_id}")
                for chunk in response.iter_content(chunk_size=1024 * 1024):
                    out.write(chunk)
                trace: list[Any] = json.loads(response.headers.get("X-Egov-Trace", "[]"))
                return trace
        except requests.RequestException as exc:
            raise HubUnavailable(str(exc)) from exc

    def ack(self, doc_id: str, status: str = "done", reason: str = "") -> None:
        self._json(
            self._call("POST", "updateStatus", json={"docId": doc_id, "status": status, "reason": reason})
        )
