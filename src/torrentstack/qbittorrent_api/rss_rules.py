"""RSS auto-downloading rules: `rss/setRule`, `renameRule`, `removeRule`, `rules`,
`matchingArticles`, answered as qBittorrent 4.6/5.1's `RSSController` does: a definition that is
not JSON is the default rule, renaming onto a taken name or removing an unknown rule does nothing,
and each answers 200 (only a missing parameter is 400)."""

from __future__ import annotations

from typing import Any, Protocol

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import json_body, text


class RssRules(Protocol):
    """The auto-downloader's rules (client/rss_downloader.py)."""

    def rules_json(self) -> dict[str, Any]:
        """Every rule as `rss/rules` shows it, by name."""
        ...

    async def set_rule(self, name: str, definition: str) -> None: ...

    async def rename_rule(self, name: str, new_name: str) -> None: ...

    async def remove_rule(self, name: str) -> None: ...

    def matching_articles(self, name: str) -> dict[str, list[str]]:
        """Titles of the articles the rule matches, by feed name."""
        ...


def add_rss_rule_endpoints(api: WebApi, rules: RssRules) -> None:
    async def set_rule(call: Call) -> Response:
        forms.require(call.params, "ruleName", "ruleDef")
        await rules.set_rule(call.params["ruleName"], call.params["ruleDef"])
        return text("")

    async def rename_rule(call: Call) -> Response:
        forms.require(call.params, "ruleName", "newRuleName")
        await rules.rename_rule(call.params["ruleName"], call.params["newRuleName"])
        return text("")

    async def remove_rule(call: Call) -> Response:
        forms.require(call.params, "ruleName")
        await rules.remove_rule(call.params["ruleName"])
        return text("")

    async def list_rules(_call: Call) -> Response:
        return json_body(rules.rules_json())

    async def matching_articles(call: Call) -> Response:
        forms.require(call.params, "ruleName")
        return json_body(rules.matching_articles(call.params["ruleName"]))

    api.add("rss/setRule", set_rule)
    api.add("rss/renameRule", rename_rule)
    api.add("rss/removeRule", remove_rule)
    api.add("rss/rules", list_rules)
    api.add("rss/matchingArticles", matching_articles)
