"""pyninaapiio's nina_info() against the v2 API at argv[1]: every view it reads of
stxd must come back connected, with each field type-checked by the library itself.
Prints what the client saw."""

import asyncio
import logging
import sys

from pyninaapiio.nina import NinaAPI

# The library reports a field it cannot parse as a warning and the view as not
# connected; show its warnings so a failure says which field.
logging.basicConfig(level=logging.WARNING, format="pyninaapiio: %(message)s")


async def main(base_url: str) -> int:
    api = NinaAPI(
        base_url=base_url,
        application_enabled=True,
        camera_enabled=True,
        filterwheel_enabled=True,
        image_enabled=True,
        api_timeout=30,
    )
    info = await api.nina_info()
    views = {
        "nina": info.connected,
        "application": info.application.connected,
        "camera": info.camera.connected,
        "filterwheel": info.filterwheel.connected,
        "image": info.image.connected,
    }
    print(f"version {info.application.version}")
    camera = info.camera
    print(
        f"camera {camera.name!r}: state {camera.camera_state}, {camera.temperature} °C "
        f"(setpoint {camera.temperature_set_point}), cooler on {camera.cooler_on}, {camera.x_size}x{camera.y_size}"
    )
    wheel = info.filterwheel
    print(f"filter wheel {wheel.name!r}: filter {wheel.selected_filter_name!r} (id {wheel.selected_filter_id})")
    image = info.image
    print(
        f"newest image #{image.index_latest}: {image.image_type}, {image.exposure_time} s, "
        f"{image.temperature} °C, {image.stars} stars, HFR {image.hfr}, median {image.median}, "
        f"focal length {image.focal_length}, preview {image.decoded_data_length} bytes"
    )
    for view, connected in views.items():
        print(f"{view:12} connected: {connected}")
    failed = [view for view, connected in views.items() if connected is not True]
    checks = {
        "the newest image is the LIGHT": image.image_type == "LIGHT",
        "its index is the sixth record's": image.index_latest == 5,
        "ExposureTime parsed as an integer": isinstance(image.exposure_time, int),
        "FocalLength parsed as an integer": isinstance(image.focal_length, int),
        "Temperature parsed as a number": isinstance(image.temperature, (int, float)),
        "Stars parsed": isinstance(image.stars, int) and image.stars >= 0,
        "the preview was fetched": (image.decoded_data_length or 0) > 0,
    }
    for name, ok in checks.items():
        print(f"{'ok ' if ok else 'FAILED'} {name}")
    failed += [name for name, ok in checks.items() if not ok]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print("pyninaapiio: OK")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
