"""File extensions cross-seed sorts files by (video, video disc, audio, book)."""

from __future__ import annotations

VIDEO_EXTENSIONS = frozenset(
    [
        *(".mkv", ".mp4", ".avi", ".ts", ".m4v", ".3gp", ".nsv", ".ty", ".strm", ".rm"),
        *(".rmvb", ".mov", ".qt", ".divx", ".xvid", ".bivx", ".pva", ".wmv", ".asf", ".asx"),
        *(".ogm", ".ogv", ".m2v", ".dvr-ms", ".mpg", ".mpeg", ".avc", ".vp3", ".svq3", ".nuv"),
        *(".viv", ".dv", ".fli", ".flv", ".wpl", ".wtv"),
    ]
)
DISC_EXTENSIONS = frozenset([".m2ts", ".ifo", ".vob", ".bup"])
AUDIO_EXTENSIONS = frozenset(
    [
        *(".wav", ".aiff", ".alac", ".flac", ".ape", ".mp3", ".aac", ".m4a", ".m4b", ".m4p"),
        *(".ogg", ".wma", ".aa", ".aax"),
    ]
)
BOOK_EXTENSIONS = frozenset(
    [
        *(".epub", ".mobi", ".azw", ".azw3", ".azw4", ".pdf", ".djvu", ".html", ".chm", ".cbr"),
        *(".cbz", ".cb7", ".cbt", ".cba"),
    ]
)
ALL_EXTENSIONS = VIDEO_EXTENSIONS | DISC_EXTENSIONS | AUDIO_EXTENSIONS | BOOK_EXTENSIONS
