"""ffprobe checks and the ffmpeg pipeline: an HLS ladder that never upscales (720p, 360p, 240p
and audio only), a master playlist, a poster, the duration and an MP4 fallback.

One ffmpeg process decodes the source once and encodes every rendition from it (a `split`
filter), so the pipeline costs what the raw command lines cost; the poster is a separate
one-frame call. Segments are cut every 4 s on forced keyframes in every rendition, so hls.js
can switch rendition at any segment boundary.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import ffmpeg
from flask import current_app
from flask_babel import gettext as _

from app.errors import BadInput, RuleViolation

log = logging.getLogger(__name__)

#: (name, height, video kbit/s, audio kbit/s): the ladder, highest first
LADDER = [("720p", 720, 2500, 128), ("360p", 360, 800, 96), ("240p", 240, 350, 64)]
AUDIO_ONLY_KBPS = 64
SEGMENT_SECONDS = 4
MP4_HEIGHT = 360
CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".jpg": "image/jpeg",
                 ".mp4": "video/mp4"}
_IMAGE_CODECS = {"mjpeg", "png", "bmp", "gif", "webp", "tiff"}


class TranscodeError(Exception):
    """ffmpeg could not make the renditions; the message says why, in Indonesian."""


def ffmpeg_binary() -> str:
    return current_app.config.get("FFMPEG_BINARY") or "ffmpeg"


def ffprobe_binary() -> str:
    return current_app.config.get("FFPROBE_BINARY") or "ffprobe"


def missing_binaries(config: dict) -> list[str]:
    """The configured ffmpeg/ffprobe programs that cannot be found (on PATH or at their path)."""
    return [b for b in (config.get("FFMPEG_BINARY") or "ffmpeg", config.get("FFPROBE_BINARY") or "ffprobe")
            if shutil.which(b) is None]


def video_available() -> bool:
    return not missing_binaries(current_app.config)


@dataclass
class ProbeResult:
    duration_tenths: int
    width: int
    height: int
    has_audio: bool
    fps: float = 25.0
    raw: dict = field(default_factory=dict)


def looks_like_video_container(path: str | os.PathLike) -> bool:
    """Does the file start like a video container? Tells a damaged video (refused as corrupt)
    from some other file with a video's name (refused as not a video) when ffprobe fails."""
    with open(path, "rb") as f:
        head = f.read(16)
    return (head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free")  # MP4, MOV, 3GP
            or head.startswith((b"\x1a\x45\xdf\xa3", b"RIFF", b"FLV", b"OggS", b"\x00\x00\x01\xba",
                                b"\x30\x26\xb2\x75"))  # MKV/WebM, AVI, FLV, Ogg, MPEG-PS, ASF/WMV
            or head[:1] == b"\x47")  # MPEG-TS sync byte


def probe(path: str | os.PathLike, *, check_decode: bool = True) -> ProbeResult:
    """Check that `path` is a video ffmpeg can read. Refuses non-videos and corrupt files with a
    message an instructor can act on (BadInput, 422)."""
    not_video = _("Berkas ini bukan video. Unggah berkas video (mis. MP4, MKV, MOV, WebM).")
    if not video_available():
        raise RuleViolation(_("Video belum dapat diproses: ffmpeg/ffprobe tidak terpasang di server."),
                            code="video_unavailable")
    try:
        info = ffmpeg.probe(str(path), cmd=ffprobe_binary())
    except ffmpeg.Error as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        log.info("ffprobe refused %s: %s", path, detail[0])
        if not looks_like_video_container(path):
            raise BadInput(not_video, code="not_a_video", status=422) from None
        raise BadInput(_("Berkas video rusak atau tidak dapat dibaca (%(detail)s).", detail=detail[0][:200]),
                       code="video_unreadable", status=422) from None
    videos = [s for s in info.get("streams", []) if s.get("codec_type") == "video"
              and not s.get("disposition", {}).get("attached_pic") and s.get("codec_name") not in _IMAGE_CODECS]
    if not videos:
        raise BadInput(not_video, code="not_a_video", status=422)
    v = videos[0]
    duration = info.get("format", {}).get("duration") or v.get("duration")
    if not duration or Decimal(duration) <= 0:
        raise BadInput(not_video, code="not_a_video", status=422)
    num, _sep, den = (v.get("avg_frame_rate") or "25/1").partition("/")
    try:
        fps = float(num) / float(den or 1) if float(den or 1) else 25.0
    except ValueError:
        fps = 25.0
    result = ProbeResult(
        duration_tenths=int(Decimal(duration) * 10),
        width=int(v.get("width") or 0), height=int(v.get("height") or 0),
        has_audio=any(s.get("codec_type") == "audio" for s in info.get("streams", [])),
        fps=fps or 25.0, raw=info)
    if not result.width or not result.height:
        raise BadInput(not_video, code="not_a_video", status=422)
    if check_decode:
        # A file can have a sound header and garbage behind it: decode the first seconds.
        proc = subprocess.run([ffmpeg_binary(), "-v", "error", "-xerror", "-t", "2", "-i", str(path),
                               "-map", "0:v:0", "-f", "null", "-"], capture_output=True, timeout=120)
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise BadInput(_("Berkas video rusak atau tidak dapat dibaca (%(detail)s).", detail=detail[0][:200]),
                           code="video_unreadable", status=422)
    return result


def ladder_for(height: int) -> list[tuple[str, int, int, int]]:
    """The rungs at or below the source height: never upscale. A source smaller than the lowest
    rung gets one rendition at its own height."""
    rungs = [r for r in LADDER if r[1] <= height]
    if not rungs:
        h = max(2, height - height % 2)
        rungs = [(f"{h}p", h, LADDER[-1][2], LADDER[-1][3])]
    return rungs


def mp4_rung(rungs: list[tuple[str, int, int, int]]) -> tuple[str, int, int, int]:
    fitting = [r for r in rungs if r[1] <= MP4_HEIGHT]
    return fitting[0] if fitting else rungs[-1]


def build_command(src: str, out: Path, probe_result: ProbeResult, *, preset: str = "veryfast",
                  binary: str = "ffmpeg") -> list[str]:
    """The one ffmpeg command line that makes every rendition and the MP4 fallback."""
    rungs = ladder_for(probe_result.height)
    mp4 = mp4_rung(rungs)
    inp = ffmpeg.input(src)
    split = inp.video.filter_multi_output("split", len(rungs) + 1)
    keyframes = f"expr:gte(t,n_forced*{SEGMENT_SECONDS})"
    outputs = []
    for i, (name, height, vk, ak) in enumerate([*rungs, mp4]):
        is_mp4 = i == len(rungs)
        v = split.stream(i).filter("scale", -2, height)
        streams = [v, inp.audio] if probe_result.has_audio else [v]
        opts = {"c:v": "libx264", "preset": preset, "profile:v": "main", "pix_fmt": "yuv420p",
                "b:v": f"{vk}k", "maxrate": f"{int(vk * 1.07)}k", "bufsize": f"{vk * 2}k",
                "force_key_frames": keyframes, "sc_threshold": 0}
        if probe_result.has_audio:
            opts.update({"c:a": "aac", "b:a": f"{ak}k", "ac": 2})
        if is_mp4:
            outputs.append(ffmpeg.output(*streams, str(out / "fallback.mp4"), movflags="+faststart", **opts))
        else:
            d = out / "hls" / name
            d.mkdir(parents=True, exist_ok=True)
            outputs.append(ffmpeg.output(*streams, str(d / "index.m3u8"), f="hls", hls_time=SEGMENT_SECONDS,
                                         hls_playlist_type="vod", hls_flags="independent_segments",
                                         hls_segment_filename=str(d / "seg_%05d.ts"), **opts))
    if probe_result.has_audio:
        d = out / "hls" / "audio"
        d.mkdir(parents=True, exist_ok=True)
        outputs.append(ffmpeg.output(inp.audio, str(d / "index.m3u8"), f="hls", hls_time=SEGMENT_SECONDS,
                                     hls_playlist_type="vod", hls_segment_filename=str(d / "seg_%05d.ts"),
                                     **{"c:a": "aac", "b:a": f"{AUDIO_ONLY_KBPS}k", "ac": 2}))
    merged = ffmpeg.merge_outputs(*outputs).global_args("-nostdin", "-hide_banner", "-loglevel", "error",
                                                        "-progress", "pipe:1", "-nostats")
    return ffmpeg.compile(merged, cmd=binary, overwrite_output=True)


def poster_command(src: str, out: Path, probe_result: ProbeResult, binary: str = "ffmpeg") -> list[str]:
    at = min(Decimal(1), Decimal(probe_result.duration_tenths) / 20)  # 1 s in, or halfway in a short clip
    height = min(720, probe_result.height)
    stream = ffmpeg.input(src, ss=str(at)).filter("scale", -2, height).output(str(out / "poster.jpg"),
                                                                                vframes=1, **{"q:v": 3})
    return ffmpeg.compile(stream.global_args("-nostdin", "-hide_banner", "-loglevel", "error"), cmd=binary,
                          overwrite_output=True)


_OUT_TIME = re.compile(r"^out_time_(?:us|ms)=(\d+)$")


def run_with_progress(cmd: list[str], duration_tenths: int, on_progress: Callable[[int], None],
                      every_seconds: float = 2.0) -> None:
    """Run ffmpeg, parsing its `-progress` output into a percentage (0..99)."""
    import time

    with tempfile.TemporaryFile() as errf:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errf, stdin=subprocess.DEVNULL)
        last = 0.0
        assert proc.stdout is not None
        for raw in proc.stdout:
            m = _OUT_TIME.match(raw.decode("ascii", "replace").strip())
            if m and duration_tenths > 0 and time.monotonic() - last >= every_seconds:
                last = time.monotonic()
                done_tenths = int(m.group(1)) // 100_000  # microseconds → tenths
                on_progress(max(0, min(99, done_tenths * 100 // duration_tenths)))
        code = proc.wait()
        if code != 0:
            errf.seek(0)
            tail = errf.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise TranscodeError(_("ffmpeg gagal (kode %(code)d): %(detail)s", code=code,
                                   detail=" | ".join(tail)[:500] or "-"))


def peak_bandwidth(playlist: Path) -> int:
    """BANDWIDTH for the master playlist: the peak segment bitrate, in bits per second."""
    peak = 0
    duration = None
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",")[0])
        elif line and not line.startswith("#") and duration:
            size = (playlist.parent / line).stat().st_size
            peak = max(peak, int(size * 8 / duration))
            duration = None
    return peak or 1


def write_master(out: Path, rungs: list[tuple[str, int, int, int]], width_of: dict[str, int],
                 has_audio: bool) -> list[dict]:
    """The master playlist (video renditions only: hls.js drops audio-only variants from a mixed
    master, so "audio saja" loads hls/audio/index.m3u8 by itself)."""
    codecs = "avc1.4d401f,mp4a.40.2" if has_audio else "avc1.4d401f"
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    renditions = []
    for name, height, vk, ak in sorted(rungs, key=lambda r: r[1]):
        # Never below the rung's cap, so the ladder stays ordered even for very simple pictures.
        bw = max(peak_bandwidth(out / "hls" / name / "index.m3u8"), int((vk * 1.07 + ak) * 1000))
        width = width_of.get(name, 0)
        lines.append(f'#EXT-X-STREAM-INF:BANDWIDTH={bw},RESOLUTION={width}x{height},CODECS="{codecs}",'
                     f'NAME="{name}"')
        lines.append(f"{name}/index.m3u8")
        renditions.append({"name": name, "height": height, "width": width, "bandwidth": bw,
                           "playlist": f"hls/{name}/index.m3u8"})
    (out / "hls" / "master.m3u8").write_text("\n".join(lines) + "\n")
    return renditions


def stream_size(path: Path) -> tuple[int, int]:
    info = ffmpeg.probe(str(path), cmd=ffprobe_binary())
    v = next(s for s in info["streams"] if s.get("codec_type") == "video")
    return int(v["width"]), int(v["height"])


def make_renditions(src: str, out: Path, on_progress: Callable[[int], None], *, preset: str | None = None) -> dict:
    """Everything a player needs, written under `out` (emptied first). Returns the asset facts."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    info = probe(src, check_decode=False)
    preset = preset or current_app.config.get("VIDEO_X264_PRESET", "veryfast")
    rungs = ladder_for(info.height)
    on_progress(0)
    subprocess.run(poster_command(src, out, info, binary=ffmpeg_binary()), check=True, capture_output=True,
                   timeout=300)
    run_with_progress(build_command(src, out, info, preset=preset, binary=ffmpeg_binary()),
                      info.duration_tenths, on_progress)
    widths = {name: stream_size(out / "hls" / name / "index.m3u8")[0] for name, *_ in rungs}
    renditions = write_master(out, rungs, widths, info.has_audio)
    return {"duration_tenths": info.duration_tenths, "width": info.width, "height": info.height,
            "has_audio": info.has_audio, "renditions": renditions}
