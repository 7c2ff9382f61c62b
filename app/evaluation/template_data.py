"""The survey templates Lentera ships, as data: BPSDM edits them in the application (the copy in
the database wins once it exists); these are the starting wording, the one most Indonesian
training agencies use on their evaluation forms."""

from __future__ import annotations

LIKERT5 = ["Sangat kurang", "Kurang", "Cukup", "Baik", "Sangat baik"]
LIKERT4 = ["Kurang", "Cukup", "Baik", "Sangat baik"]


def _scale(code: str, group: str, text: str, *, instructor: bool = False) -> dict:
    return {"code": code, "kind": "likert5", "text": text, "options": [], "instructor": instructor,
            "required": True, "group": group}


SHIPPED: dict[str, dict] = {
    "penyelenggaraan": {
        "title": "Evaluasi Penyelenggaraan",
        "description": "Penilaian peserta atas penyelenggaraan pelatihan: materi, sarana, jadwal dan pelayanan panitia.",
        "anonymous": True,
        "items": [
            _scale("penyelenggaraan.tujuan", "Materi", "Kejelasan tujuan pelatihan"),
            _scale("penyelenggaraan.relevansi", "Materi", "Kesesuaian materi dengan kebutuhan tugas dan jabatan Anda"),
            _scale("penyelenggaraan.bahan_ajar", "Materi", "Kualitas bahan ajar dan modul"),
            _scale("penyelenggaraan.sarana", "Sarana dan prasarana",
                   "Kelayakan sarana dan prasarana (ruang kelas atau platform daring)"),
            _scale("penyelenggaraan.akses", "Sarana dan prasarana", "Kemudahan mengakses materi dan layanan pelatihan"),
            _scale("penyelenggaraan.jadwal", "Jadwal", "Kesesuaian jadwal dan alokasi waktu pelatihan"),
            _scale("penyelenggaraan.panitia", "Penyelenggaraan", "Pelayanan dan kesigapan panitia penyelenggara"),
            _scale("penyelenggaraan.informasi", "Penyelenggaraan", "Kejelasan informasi sebelum dan selama pelatihan"),
            {"code": "penyelenggaraan.manfaat", "kind": "single", "group": "Penyelenggaraan", "required": True,
             "instructor": False, "text": "Apakah pelatihan ini bermanfaat untuk pekerjaan Anda?",
             "options": ["Sangat bermanfaat", "Bermanfaat", "Kurang bermanfaat", "Tidak bermanfaat"]},
            {"code": "penyelenggaraan.saran", "kind": "long_text", "group": "Saran", "required": False,
             "instructor": False, "options": [], "text": "Saran dan masukan untuk perbaikan penyelenggaraan"},
        ],
    },
    "pengajar": {
        "title": "Evaluasi Pengajar",
        "description": "Penilaian peserta atas setiap pengajar (widyaiswara/narasumber) pelatihan.",
        "anonymous": True,
        "items": [
            _scale("pengajar.penguasaan", "Pengajar", "Penguasaan materi", instructor=True),
            _scale("pengajar.penyampaian", "Pengajar", "Sistematika dan cara penyampaian materi", instructor=True),
            _scale("pengajar.metode", "Pengajar", "Penggunaan metode dan media pembelajaran", instructor=True),
            _scale("pengajar.waktu", "Pengajar", "Ketepatan dan penggunaan waktu", instructor=True),
            _scale("pengajar.tanya_jawab", "Pengajar", "Kemampuan menjawab pertanyaan peserta", instructor=True),
            _scale("pengajar.sikap", "Pengajar", "Sikap dan perilaku", instructor=True),
            {"code": "pengajar.komentar", "kind": "long_text", "group": "Pengajar", "required": False,
             "instructor": True, "options": [], "text": "Komentar untuk pengajar ini"},
        ],
    },
}
