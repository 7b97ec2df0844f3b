"""Shared by every app's ``api/``: error handling, named enum fields for the OpenAPI schema, and object
actions generated from a table (one service function per state change)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.viewsets import GenericViewSet

ViewSetT = TypeVar("ViewSetT", bound=GenericViewSet)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django ``ValidationError`` raised by services turned into 400 with field errors."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = {
                field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()
            }
        else:
            detail = {"non_field_errors": list(exc.messages)}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied) and exc.args and isinstance(exc.args[0], str):
        # Keep the service's Vietnamese explanation instead of DRF's generic message.
        return Response({"detail": exc.args[0]}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)


_ENUM_FIELDS: dict[str, type[serializers.ChoiceField]] = {}


def enum_field(component: str, choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field described by its own named enum component in the OpenAPI schema.

    Several models share field names with different choices (``status``, ``kind``, ``role``, ``source``);
    without a name of their own drf-spectacular would have to guess one and warn. One field class is made per
    component and reused, so that every use of the component is the same one for drf-spectacular (the
    ``choices`` of the first use describe the component; later uses validate with their own ``choices``)."""
    field_class = _ENUM_FIELDS.get(component)
    if field_class is None:
        base = type(f"{component}Field", (serializers.ChoiceField,), {})
        field_class = extend_schema_field(serializers.ChoiceField(choices=choices), component_name=component)(
            base
        )
        _ENUM_FIELDS[component] = field_class
    return field_class(choices=choices, **kwargs)


# --- Table-driven object actions ------------------------------------------------------------------------


def request_body(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    """The validated body of ``request`` (400 with field errors otherwise)."""
    body = serializer_class(data=request.data, context={"request": request, "user": request.user})
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


@dataclass(frozen=True)
class ObjectAction:
    """One ``POST /…/{id}/<url_path>/`` action that runs one service function on one object.

    ``name`` is the viewset method (and the default URL path; ``url_name`` defaults to it with dashes);
    ``serializer`` checks the body (none: no body); ``arguments`` turns the validated body into the service's
    keyword arguments (default: the body as is); ``constants`` are passed as well. The service is called as
    ``service(actor=request.user, <target>=obj, **arguments)``. ``summary``, ``description`` and
    ``operation_id`` describe the operation in the OpenAPI schema; ``multipart`` documents the body as
    ``multipart/form-data``; ``parser_classes`` restricts the parsers of this action."""

    name: str
    service: Callable[..., Any]
    summary: str
    description: str
    serializer: type[serializers.Serializer[Any]] | None = None
    arguments: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    constants: Mapping[str, Any] = field(default_factory=dict)
    operation_id: str | None = None
    url_path: str | None = None
    url_name: str | None = None
    multipart: bool = False
    parser_classes: tuple[type[BaseParser], ...] | None = None

    def request_schema(self) -> Any:
        if self.serializer is None:
            return None
        return {"multipart/form-data": self.serializer} if self.multipart else self.serializer


def object_actions(
    table: Sequence[ObjectAction],
    *,
    responses: Mapping[Any, Any],
    target: str,
    load: str,
    respond: str,
) -> Callable[[type[ViewSetT]], type[ViewSetT]]:
    """A class decorator adding one DRF ``@action(detail=True, methods=["post"])`` per row of ``table``.

    Each generated method loads the object with ``self.<load>(pk)`` (404 when the caller may not see it),
    validates the body, calls the service (which checks permissions and rules, and writes in one transaction
    with its audit row) and answers ``self.<respond>(obj)`` — the object the service returned when it is of
    the same type, else the loaded one (re-read by the responder)."""

    def make(spec: ObjectAction) -> Callable[..., Response]:
        def handler(self: Any, request: Request, pk: str) -> Response:
            obj = getattr(self, load)(pk)
            body = request_body(spec.serializer, request) if spec.serializer is not None else {}
            kwargs = spec.arguments(body) if spec.arguments is not None else body
            result = spec.service(actor=request.user, **{target: obj}, **kwargs, **spec.constants)
            return cast(Response, getattr(self, respond)(result if isinstance(result, type(obj)) else obj))

        handler.__name__ = spec.name
        handler.__doc__ = spec.description
        options: dict[str, Any] = {}
        if spec.url_path is not None:
            options["url_path"] = spec.url_path
        if spec.url_name is not None:
            options["url_name"] = spec.url_name
        if spec.parser_classes is not None:
            options["parser_classes"] = list(spec.parser_classes)
        schema: dict[str, Any] = {}
        if spec.operation_id is not None:
            schema["operation_id"] = spec.operation_id
        described = extend_schema(
            summary=spec.summary,
            description=spec.description,
            request=spec.request_schema(),
            responses=dict(responses),
            **schema,
        )
        return cast(
            Callable[..., Response], described(action(detail=True, methods=["post"], **options)(handler))
        )

    def decorate(cls: type[ViewSetT]) -> type[ViewSetT]:
        for spec in table:
            if spec.name in cls.__dict__:
                raise TypeError(f"{cls.__name__}.{spec.name} is already defined")
            method = make(spec)
            method.__qualname__ = f"{cls.__qualname__}.{spec.name}"
            setattr(cls, spec.name, method)
        return cls

    return decorate


class ValuesRows:
    """A read serializer applied to ``QuerySet.values()`` rows instead of model instances.

    For long lists of flat rows (a hub's inbox: hundreds of rows a second), building a model instance per
    row and letting DRF walk each field's dotted source costs ~0.1 ms a row; this reads the columns the
    serializer names (``packet.message_type`` → ``packet__message_type``) and formats each value with the
    serializer's own field (``to_representation``), so the JSON is the serializer's, key for key. Only plain
    fields with a source are supported (no method fields, no nesting): anything else raises at import.
    """

    def __init__(self, serializer_class: type[serializers.Serializer[Any]], *extra: str) -> None:
        fields = serializer_class().fields
        self._plan: list[tuple[str, str, Callable[[Any], Any]]] = []
        for name, serializer_field in fields.items():
            if isinstance(serializer_field, (serializers.SerializerMethodField, serializers.BaseSerializer)):
                raise TypeError(f"{serializer_class.__name__}.{name}: not a plain field")
            source = serializer_field.source or name
            if source == "*":
                raise TypeError(f"{serializer_class.__name__}.{name}: source='*' is not supported")
            self._plan.append((name, source.replace(".", "__"), serializer_field.to_representation))
        self.columns = tuple(dict.fromkeys([column for _, column, _ in self._plan] + list(extra)))

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        plan = self._plan
        return [
            {name: None if row[column] is None else convert(row[column]) for name, column, convert in plan}
            for row in rows
        ]
