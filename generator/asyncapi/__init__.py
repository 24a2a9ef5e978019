"""``svcforge asyncapi``: the service's AsyncAPI 3.0 document."""

from generator.asyncapi.document import asyncapi_document, build_document

__all__ = ["asyncapi_document", "build_document"]
