"""The RSS tree (client/rss/tree.py) under any sequence of adds, moves and removes: every item
sits in a folder that exists, URLs stay unique, and `feeds.json` reads back the same tree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from torrentstack.client.rss.tree import FeedNode, FolderNode, RssTree, parent_path
from torrentstack.qbittorrent.errors import Conflict

names = st.sampled_from(["a", "b", "c", "a\\b", "a\\c", "b\\a", "a\\b\\c", "", "a\\", "x y"])
urls = st.sampled_from(["http://h/1", "http://h/2", "http://h/3"])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("folder"), names),
        st.tuples(st.just("feed"), urls, names),
        st.tuples(st.just("move"), names, names),
        st.tuples(st.just("remove"), names),
        st.tuples(st.just("url"), names, urls),
    ),
    max_size=25,
)


def _check(tree: RssTree) -> None:
    for path, node in tree.items.items():
        if path:
            assert isinstance(tree.items.get(parent_path(path)), FolderNode), path
        assert isinstance(node, FeedNode | FolderNode)
    feeds = list(tree.feeds().values())
    assert len({f.url for f in feeds}) == len(feeds)
    assert len({f.uid for f in feeds}) == len(feeds)
    again = RssTree.from_json(tree.to_json())
    assert again.to_json() == tree.to_json()


@settings(max_examples=300, deadline=None)
@given(operations)
def test_any_sequence_keeps_the_tree_whole(ops):
    tree = RssTree()
    messages: list[str] = []
    for op, *args in ops:
        try:
            if op == "folder":
                tree.add_folder(args[0])
            elif op == "feed":
                tree.add_feed(args[0], args[1])
            elif op == "move":
                tree.move_item(args[0], args[1])
            elif op == "remove":
                tree.remove_item(args[0])
            else:
                tree.set_feed_url(args[0], args[1])
        except Conflict as refused:
            messages.append(refused.message)
        _check(tree)
    assert all(m.endswith(".") for m in messages)


def test_a_moved_folder_takes_what_is_below_it():
    tree = RssTree()
    tree.add_folder("a")
    tree.add_folder("a\\b")
    feed = tree.add_feed("http://h/1", "a\\b\\f")
    tree.move_item("a", "z")
    assert tree.items["z\\b\\f"] is feed
    assert set(tree.items) == {"", "z", "z\\b", "z\\b\\f"}
    assert tree.to_json() == {"z": {"b": {"f": {"uid": feed.uid, "url": "http://h/1"}}}}


def test_old_and_broken_feeds_json_entries():
    tree = RssTree.from_json(
        {
            "old": "http://h/old",  # qBittorrent's reduced form: name -> URL
            "bad uid": {"uid": "nope", "url": "http://h/x"},
            "bad url": {"url": 5},
            "dir": {"inner": {"url": "http://h/in"}},
            "weird": 7,
        }
    )
    assert set(tree.items) == {"", "old", "dir", "dir\\inner"}
    assert tree.feeds()["old"].url == "http://h/old"
    assert tree.feeds()["dir\\inner"].uid.startswith("{")
