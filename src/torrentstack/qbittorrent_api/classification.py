"""Categories (`torrents/categories`, create/edit/remove/set, setAutoManagement) and tags
(`torrents/tags`, create/delete/add/remove, setTags in 5.1)."""

from __future__ import annotations

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent_api.backend import Categories, Tags, TorrentReader
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import json_body, text


def add_category_endpoints(api: WebApi, torrents: TorrentReader, categories: Categories) -> None:
    async def list_categories(_call: Call) -> Response:
        return json_body(categories.category_objects())

    async def create(call: Call) -> Response:
        forms.require(call.params, "category")
        await categories.create_category(
            call.params["category"].strip(),
            call.params.get("savePath", ""),
            _download_path(call),
        )
        return text("")

    async def edit(call: Call) -> Response:
        forms.require(call.params, "category", "savePath")
        await categories.edit_category(
            call.params["category"].strip(), call.params["savePath"], _download_path(call)
        )
        return text("")

    async def remove(call: Call) -> Response:
        forms.require(call.params, "categories")
        await categories.remove_categories(forms.lines(call.params["categories"]))
        return text("")

    async def set_category(call: Call) -> Response:
        forms.require(call.params, "hashes", "category")
        hashes = torrents.hashes(forms.hashes(call.params))
        await categories.set_category(hashes, call.params["category"].strip())
        return text("")

    async def set_auto_management(call: Call) -> Response:
        enable = forms.flag(call.params, "enable")
        await categories.set_auto_tmm(torrents.hashes(forms.hashes(call.params)), enable)
        return text("")

    api.add("torrents/categories", list_categories)
    api.add("torrents/createCategory", create)
    api.add("torrents/editCategory", edit)
    api.add("torrents/removeCategories", remove)
    api.add("torrents/setCategory", set_category)
    api.add("torrents/setAutoManagement", set_auto_management)


def add_tag_endpoints(api: WebApi, torrents: TorrentReader, tags: Tags) -> None:
    async def list_tags(_call: Call) -> Response:
        return json_body(tags.tag_names())

    async def create(call: Call) -> Response:
        forms.require(call.params, "tags")
        await tags.create_tags(forms.tags(call.params["tags"]))
        return text("")

    async def delete(call: Call) -> Response:
        forms.require(call.params, "tags")
        await tags.delete_tags(forms.tags(call.params["tags"]))
        return text("")

    async def add_to(call: Call) -> Response:
        forms.require(call.params, "hashes", "tags")
        hashes = torrents.hashes(forms.hashes(call.params))
        await tags.add_tags(hashes, forms.tags(call.params["tags"]))
        return text("")

    async def remove_from(call: Call) -> Response:
        forms.require(call.params, "hashes")
        hashes = torrents.hashes(forms.hashes(call.params))
        await tags.remove_tags(hashes, forms.tags(call.params.get("tags")))
        return text("")

    async def set_on(call: Call) -> Response:
        forms.require(call.params, "hashes", "tags")
        hashes = torrents.hashes(forms.hashes(call.params))
        await tags.set_tags(hashes, forms.tags(call.params["tags"]))
        return text("")

    api.add("torrents/tags", list_tags)
    api.add("torrents/createTags", create)
    api.add("torrents/deleteTags", delete)
    api.add("torrents/addTags", add_to)
    api.add("torrents/removeTags", remove_from)
    if api.persona.stop_vocabulary:
        api.add("torrents/setTags", set_on)


def _download_path(call: Call) -> str | None:
    enabled = forms.optional_flag(call.params, "downloadPathEnabled")
    if enabled is False:
        return None
    return call.params.get("downloadPath")
