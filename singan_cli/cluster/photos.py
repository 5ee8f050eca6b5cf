"""Which photos `singan train-many` trains, and under which model names.

    runs = [PhotoRun(photo, name, out / name, note)
            for photo, name, note in assign_names(collect_photos([Path("photos/")]))]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from singan_cli.cluster.record import INDEX_FILE
from singan_cli.common import say


def collect_photos(paths: Sequence[Path]) -> list[Path]:
    """Files as given, plus the image files (by extension, not hidden) directly inside each
    folder, sorted; the same file named twice counts once."""
    from PIL import Image

    extensions = {ext.lower() for ext in Image.registered_extensions()}
    photos: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                           and p.suffix.lower() in extensions)
            if not found:
                say(f"warning: {path}: no image files in this folder")
        else:
            found = [path]  # a missing or unreadable file fails as its own photo, with its reason
        for photo in found:
            key = photo.resolve()
            if key not in seen:
                seen.add(key)
                photos.append(photo)
    return photos


def assign_names(photos: Sequence[Path]) -> list[tuple[Path, str, str]]:
    """(photo, model name, note) per photo: the name is the file's stem; photos that share a stem
    (compared without case, for case-insensitive disks) are ordered by their full path, the first
    keeps the stem and the others get the first free stem-2, stem-3, ... The same photos always
    get the same names, whatever order they are given in."""
    ordered = sorted(photos, key=lambda p: str(p.resolve()))
    stems = {p.stem.casefold() for p in ordered} | {INDEX_FILE}
    taken: set[str] = {INDEX_FILE}
    first_owner: dict[str, Path] = {}
    names: dict[Path, tuple[str, str]] = {}
    for photo in ordered:  # first pass: each stem to the first photo (by path) that has it
        key = photo.stem.casefold()
        if key not in taken:
            taken.add(key)
            first_owner[key] = photo
            names[photo] = (photo.stem, "")
    for photo in ordered:  # second pass: the rest get a numbered name no photo's stem uses
        if photo in names:
            continue
        number = 2
        while f"{photo.stem}-{number}".casefold() in taken | stems:
            number += 1
        name = f"{photo.stem}-{number}"
        taken.add(name.casefold())
        owner = first_owner.get(photo.stem.casefold())
        clash = f"{owner} has the same name" if owner else f"'{photo.stem}' is reserved"
        names[photo] = (name, f"named {name}: {clash}")
    return [(photo, *names[photo]) for photo in photos]
