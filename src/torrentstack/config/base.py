"""What every settings table shares: frozen sections, ports, a service's listener switch."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue

Port = Annotated[int, Field(ge=0, le=65535)]

# `json_schema_extra` of a field whose value is a secret: `config show` prints it redacted
SECRET: dict[str, JsonValue] = {"secret": True}


class Section(BaseModel):
    """Base of every settings table: frozen, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class ListenerSettings(Section):
    """A service's switch and its main listening address."""

    enabled: bool = Field(default=True, description="Start this service with `serve`.")
    host: str = Field(default="0.0.0.0", description="Address to listen on (`::` for IPv6).")  # noqa: S104 - a server for the network
    port: Port = Field(default=0, description="TCP port (0 picks a free port).")
