"""The WebDAV tree in-process: listings and their props, names needing encoding, auth, the
read-only methods, and PROPFIND bodies that must be refused safely (reads: test_webdav_reads)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import quote, unquote

import pytest

from tests.support.dav_source import (
    EPISODE,
    ODD,
    TOKEN,
    VIDEO,
    basic,
    dav_client,
    sample_source,
    url,
)

D = "{DAV:}"
VIDEO_URL = url("realdebrid", "__all__", EPISODE, f"{EPISODE}.mkv")


@pytest.fixture
def source():
    return sample_source()


@pytest.fixture
async def dav(source):
    async with dav_client(source) as client:
        yield client


def xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - the answer of the app under test


async def propfind(dav, path, depth="1", body=None, **headers):
    return await dav.request("PROPFIND", path, headers={"Depth": depth, **headers}, content=body)


def responses(reply) -> dict[str, dict[str, object]]:
    """href (decoded) -> {prop name: text or 'collection'} of the 200 propstats."""
    assert reply.status_code == 207, reply.text
    assert reply.headers["content-type"].startswith("application/xml")
    found = {}
    for response in xml(reply.content).iter(f"{D}response"):
        props = {}
        for propstat in response.iter(f"{D}propstat"):
            status = propstat.find(f"{D}status").text
            for prop in propstat.find(f"{D}prop"):
                name = prop.tag.replace(D, "")
                if status.endswith("404 Not Found"):
                    props[name] = 404
                elif name == "resourcetype":
                    props[name] = "collection" if prop.find(f"{D}collection") is not None else ""
                else:
                    props[name] = prop.text
        found[unquote(response.find(f"{D}href").text)] = props
    return found


# -- listings --


async def test_root_lists_the_providers(dav):
    listed = responses(await propfind(dav, "/webdav/"))
    assert set(listed) == {"/webdav/", "/webdav/realdebrid/", "/webdav/torbox/"}
    assert listed["/webdav/realdebrid/"]["resourcetype"] == "collection"
    assert listed["/webdav/realdebrid/"]["getlastmodified"] == "Tue, 05 Mar 2024 12:30:15 GMT"
    assert "getcontentlength" not in listed["/webdav/realdebrid/"]
    # without the trailing slash too
    assert set(responses(await propfind(dav, "/webdav"))) == set(listed)


async def test_a_provider_has_decypharrs_layout(dav):
    listed = responses(await propfind(dav, "/webdav/realdebrid"))
    assert set(listed) == {
        "/webdav/realdebrid/",
        "/webdav/realdebrid/__all__/",
        "/webdav/realdebrid/torrents/",
        "/webdav/realdebrid/__bad__/",
        "/webdav/realdebrid/version.txt",
    }
    version = listed["/webdav/realdebrid/version.txt"]
    reply = await dav.get("/webdav/realdebrid/version.txt")
    assert reply.text.startswith("torrentstack-")
    assert int(version["getcontentlength"]) == len(reply.content)


async def test_all_lists_every_item_as_a_folder(dav):
    listed = responses(await propfind(dav, url("realdebrid", "__all__", folder=True)))
    items = {href for href in listed if href != "/webdav/realdebrid/__all__/"}
    assert items == {
        f"/webdav/realdebrid/__all__/{name}/" for name in (EPISODE, "Movie.2020.mkv", ODD)
    }
    assert all(listed[href]["resourcetype"] == "collection" for href in items)
    # `torrents` is the same list, `__bad__` is empty
    assert len(responses(await propfind(dav, "/webdav/realdebrid/torrents/"))) == 4
    assert list(responses(await propfind(dav, "/webdav/realdebrid/__bad__/"))) == [
        "/webdav/realdebrid/__bad__/"
    ]


async def test_an_item_folder_lists_its_files_with_their_props(dav):
    listed = responses(await propfind(dav, url("realdebrid", "__all__", EPISODE, folder=True)))
    video = listed[f"/webdav/realdebrid/__all__/{EPISODE}/{EPISODE}.mkv"]
    assert video == {
        "displayname": f"{EPISODE}.mkv",
        "resourcetype": "",
        "getcontentlength": str(len(VIDEO)),
        "getlastmodified": "Tue, 05 Mar 2024 12:30:15 GMT",
        "creationdate": "2024-03-05T12:30:15Z",
        "getcontenttype": "video/x-matroska",
        "getetag": video["getetag"],
    }
    assert video["getetag"].startswith('"')
    nfo = listed[f"/webdav/realdebrid/__all__/{EPISODE}/{EPISODE}.nfo"]
    assert nfo["getcontentlength"] == "8"
    assert nfo["getetag"] != video["getetag"]


async def test_a_single_file_torrent_is_a_folder_holding_the_file(dav):
    listed = responses(await propfind(dav, url("realdebrid", "__all__", "Movie.2020.mkv")))
    assert listed["/webdav/realdebrid/__all__/Movie.2020.mkv/"]["resourcetype"] == "collection"
    inner = listed["/webdav/realdebrid/__all__/Movie.2020.mkv/Movie.2020.mkv"]
    assert inner["getcontentlength"] == "3000"


async def test_sub_folders_come_from_the_file_paths(dav):
    item = url("realdebrid", "__all__", ODD, folder=True)
    listed = responses(await propfind(dav, item))
    sub = f"/webdav/realdebrid/__all__/{ODD}/Sub {ODD}/"
    assert listed[sub]["resourcetype"] == "collection"
    assert listed[f"/webdav/realdebrid/__all__/{ODD}/empty.bin"]["getcontentlength"] == "0"
    inside = responses(await propfind(dav, url("realdebrid", "__all__", ODD, f"Sub {ODD}")))
    assert inside[f"{sub}{ODD}.srt"]["getcontentlength"] == "4"


async def test_depth_0_answers_the_resource_alone(dav):
    folder = responses(await propfind(dav, url("realdebrid", "__all__", EPISODE), depth="0"))
    assert list(folder) == [f"/webdav/realdebrid/__all__/{EPISODE}/"]
    file = responses(
        await propfind(dav, url("realdebrid", "__all__", EPISODE, f"{EPISODE}.nfo"), depth="0")
    )
    assert list(file) == [f"/webdav/realdebrid/__all__/{EPISODE}/{EPISODE}.nfo"]
    # a file with Depth: 1 is still the file alone
    assert (
        len(responses(await propfind(dav, url("realdebrid", "__all__", EPISODE, f"{EPISODE}.nfo"))))
        == 1
    )


async def test_depth_infinity_is_refused_and_no_depth_means_1(dav):
    refused = await propfind(dav, "/webdav/", depth="infinity")
    assert refused.status_code == 403
    assert xml(refused.content).find(f"{D}propfind-finite-depth") is not None
    assert (await propfind(dav, "/webdav/", depth="2")).status_code == 400
    reply = await dav.request("PROPFIND", "/webdav/realdebrid/")
    assert len(responses(reply)) == 5


async def test_the_hrefs_lead_back_to_what_they_name(dav):
    """Every href of every listing is answered with its own entry (the encoding round-trips)."""
    pending, seen = ["/webdav/"], set()
    while pending:
        path = pending.pop()
        reply = await propfind(dav, path)
        root = xml(reply.content)
        for response in root.iter(f"{D}response"):
            href = response.find(f"{D}href").text
            assert not set(href) & set(" #&<>?é"), href
            if href in seen or href == path:
                continue
            seen.add(href)
            if href.endswith("/"):
                pending.append(href)
            else:
                assert (await dav.head(href)).status_code == 200, href
    for path in (
        url("realdebrid", "torrents", ODD, f"Sub {ODD}", f"{ODD}.srt"),
        url("torbox", "__all__", "Other", "other.bin"),
    ):
        assert path in seen
    assert len(seen) == 32


# -- the props asked --


async def test_a_prop_list_answers_those_props_and_404s_the_unknown(dav):
    body = (
        b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:x"><D:prop>'
        b"<D:getcontentlength/><D:resourcetype/><Z:color/><D:quota-used-bytes/>"
        b"</D:prop></D:propfind>"
    )
    path = url("realdebrid", "__all__", EPISODE)
    listed = responses(await propfind(dav, path, body=body))
    video = listed[f"/webdav/realdebrid/__all__/{EPISODE}/{EPISODE}.mkv"]
    assert video == {
        "getcontentlength": str(len(VIDEO)),
        "resourcetype": "",
        "{urn:x}color": 404,
        "quota-used-bytes": 404,
    }
    # a folder has no length: 404 for it there
    assert listed[f"/webdav/realdebrid/__all__/{EPISODE}/"]["getcontentlength"] == 404
    reply = await propfind(dav, path, body=body)
    assert b"urn:x" in reply.content  # the unknown prop keeps its namespace


async def test_allprop_and_propname(dav):
    path = url("realdebrid", "__all__", EPISODE, f"{EPISODE}.nfo")
    everything = responses(
        await propfind(dav, path, body=b'<propfind xmlns="DAV:"><allprop/></propfind>')
    )
    assert responses(await propfind(dav, path)) == everything
    names = responses(
        await propfind(dav, path, body=b'<propfind xmlns="DAV:"><propname/></propfind>')
    )
    (props,) = names.values()
    assert set(props) == set(next(iter(everything.values())))
    assert all(value in (None, "") for value in props.values())


@pytest.mark.parametrize(
    "body",
    [
        # billion laughs
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
            for i in range(1, 10)
        )
        + b']><D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&lol9;</D:displayname>'
        + b"</D:prop></D:propfind>",
        # an external entity
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<D:propfind xmlns:D="DAV:"><D:prop><D:x>&x;</D:x></D:prop></D:propfind>',
        b"this is not xml",
        b"\x00\xff\xfe garbage",
        b'<D:propfind xmlns:D="DAV:"><D:prop>',  # cut short
        b"<propfind><allprop/></propfind>",  # no DAV: namespace
        b'<D:propfind xmlns:D="DAV:"/>',  # nothing asked
        b'<D:propfind xmlns:D="DAV:"><D:allprop/><D:propname/></D:propfind>',
        b'<D:propfind xmlns:D="DAV:"><D:prop>' + b"<D:a/>" * 20_000 + b"</D:prop></D:propfind>",
        b'<D:propfind xmlns:D="DAV:"><D:prop>'
        + b"".join(b"<D:p%d/>" % i for i in range(65))
        + b"</D:prop></D:propfind>",
        b'<D:propfind xmlns:D="DAV:"><D:prop/></D:propfind>',
    ],
    ids=[
        "billion-laughs",
        "xxe",
        "text",
        "binary",
        "truncated",
        "no-ns",
        "empty",
        "two",
        "huge",
        "too-many-props",
        "no-props",
    ],
)
async def test_bad_bodies_get_400(dav, body):
    reply = await propfind(dav, "/webdav/realdebrid/", body=body)
    assert reply.status_code == 400, reply.text
    assert b"root:" not in reply.content


async def test_a_huge_streamed_body_is_refused_without_being_read_whole(dav):
    sent = 0

    async def body():
        nonlocal sent
        for _ in range(10_000):
            sent += 65536
            yield b"<!--" + b"x" * 65528 + b"-->"

    reply = await dav.request("PROPFIND", "/webdav/", headers={"Depth": "1"}, content=body())
    assert reply.status_code == 400
    assert sent < 1024 * 1024
    declared = await dav.request(
        "PROPFIND", "/webdav/", headers={"Depth": "1", "Content-Length": "99999999"}, content=b""
    )
    assert declared.status_code == 400
    for length, status in ((b"9" * 5000, 400), (b"\xb2", 207), (b"-1", 207)):
        odd = await dav.request(
            "PROPFIND", "/webdav/", headers={"Depth": "0", "Content-Length": length}, content=b""
        )
        assert odd.status_code == status, length  # no length: the body is read as it comes


async def test_a_folder_asked_with_get_is_an_html_index(dav):
    reply = await dav.get(url("realdebrid", "__all__", folder=True))
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert quote(ODD, safe="") in reply.text
    assert "&lt;friends&gt;" in reply.text and "<friends>" not in reply.text


@pytest.mark.parametrize(
    "path",
    [
        "/webdav/nowhere/",
        "/webdav/realdebrid/__missing__/",
        "/webdav/realdebrid/__all__/No Such Item/",
        url("realdebrid", "__all__", EPISODE, "nothing.mkv"),
        url("realdebrid", "__all__", EPISODE, f"{EPISODE}.mkv", "below-a-file"),
        url("realdebrid", "__bad__", EPISODE),
        url("realdebrid", "__all__", ODD.replace("%", "%25")),  # encoded twice: another name
        "/webdav/realdebrid/version.txt/x",
        "/webdavx",
    ],
)
async def test_unknown_paths_are_404(dav, path):
    for method in ("PROPFIND", "GET", "HEAD"):
        assert (await dav.request(method, path)).status_code == 404, (method, path)


# -- a read-only tree --


async def test_options_says_dav_1_and_the_methods(dav):
    reply = await dav.options("/webdav/realdebrid/__all__/")
    assert reply.status_code == 200
    assert reply.headers["dav"] == "1"
    assert set(reply.headers["allow"].split(", ")) == {"OPTIONS", "GET", "HEAD", "PROPFIND"}


@pytest.mark.parametrize(
    "method", ["PUT", "DELETE", "MKCOL", "MOVE", "COPY", "PROPPATCH", "LOCK", "UNLOCK", "POST"]
)
async def test_writes_are_405(dav, source, method):
    for path in ("/webdav/", url("realdebrid", "__all__", EPISODE), VIDEO_URL, "/webdav/x/y"):
        reply = await dav.request(method, path, headers={"Destination": "/webdav/x"}, content=b"x")
        assert reply.status_code == 405, (method, path)
        assert "PROPFIND" in reply.headers["allow"]
    assert len(source.items("realdebrid")) == 3


# -- auth --


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        basic("dav-user", "wrong"),
        basic("other", "dav pass:word"),
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic !!!"},
        {"Authorization": TOKEN},
    ],
    ids=["none", "bad-password", "bad-user", "bad-token", "bad-base64", "no-scheme"],
)
async def test_every_path_and_method_needs_credentials(source, credentials):
    async with dav_client(source, headers={}) as dav:
        for path in ("/webdav", "/webdav/", "/webdav/realdebrid/", VIDEO_URL, "/webdav/nowhere"):
            for method in ("OPTIONS", "PROPFIND", "GET", "HEAD", "PUT", "DELETE"):
                reply = await dav.request(method, path, headers=credentials)
                assert reply.status_code == 401, (method, path)
                assert reply.headers["www-authenticate"] == 'Basic realm="torrentstack"'
    assert source.calls == []


async def test_the_bearer_token_is_let_in(source):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with dav_client(source, headers={}) as dav:
        assert (await dav.get(VIDEO_URL, headers=headers)).content == VIDEO
        assert (await propfind(dav, "/webdav/", **headers)).status_code == 207
