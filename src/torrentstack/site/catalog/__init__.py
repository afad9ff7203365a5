"""The catalogue: the category tree (with its Newznab ids, for Torznab) and the tag list.

`categories` and `tags` hold the service functions other domains call
(`category_ids_with_descendants`, `newznab_ids`, `tags_by_name`); `routes` is the HTTP side.
"""
