"""The competency dictionary Lentera starts with: the eight managerial competencies and Perekat
Bangsa (Permenpan RB 38/2017), two technical and one government competency as examples.

Revision corpu_0001 loads this data; edits made afterwards belong to the database (admins edit
it on the dictionary pages or import a file), not here. Each level: (description, indicators).
"""

from __future__ import annotations

Level = tuple[str, list[str]]

DICTIONARY: list[dict] = [
    {
        "code": "MJ-INT", "name": "Integritas", "group": "manajerial",
        "description": "Konsisten berperilaku selaras dengan nilai, norma dan/atau etika organisasi, dan jujur dalam "
                       "hubungan dengan manajemen, rekan kerja, bawahan langsung, dan pemangku kepentingan, "
                       "menciptakan budaya etika tinggi, bertanggung jawab atas tindakan atau keputusan beserta "
                       "risiko yang menyertainya.",
        "levels": [
            ("Mampu bertindak sesuai nilai, norma, dan etika organisasi dalam kapasitas pribadi.",
             ["Bertingkah laku sesuai dengan perkataan; berkata sesuai dengan fakta.",
              "Melaksanakan peraturan dan kode etik organisasi dalam lingkungan kerja sehari-hari, pada tataran "
              "individu/pribadi.",
              "Tidak menjanjikan atau memberikan sesuatu yang bertentangan dengan aturan organisasi."]),
            ("Mampu mengingatkan dan mengajak rekan kerja untuk bertindak sesuai nilai, norma, dan etika organisasi.",
             ["Mengingatkan rekan kerja untuk bertindak sesuai dengan nilai, norma, dan etika organisasi.",
              "Mengajak orang lain untuk bertindak sesuai etika dan kode etik."]),
            ("Mampu memastikan dan menanamkan keyakinan bersama agar anggota yang dipimpin bertindak sesuai nilai, "
             "norma, dan etika organisasi, dalam lingkup formal.",
             ["Memastikan anggota yang dipimpin bertindak sesuai dengan nilai, norma, dan etika organisasi.",
              "Memberi apresiasi dan teguran bagi anggota yang dipimpin agar bertindak selaras dengan nilai, norma, "
              "dan etika organisasi."]),
            ("Mampu menciptakan situasi kerja yang membuat rekan kerja dan pihak terkait bertindak sesuai nilai, "
             "norma, dan etika organisasi.",
             ["Menciptakan situasi kerja yang membuat rekan kerja dan pihak terkait bertindak sesuai etika dan kode etik.",
              "Memberikan apresiasi dan teguran bagi pihak terkait agar bertindak selaras dengan nilai, norma, dan "
              "etika organisasi.",
              "Menjadi teladan dalam penerapan nilai, norma, dan etika organisasi di unit kerjanya."]),
            ("Mampu menjadi panutan (role model) dalam penerapan standar keadilan dan etika di tingkat nasional.",
             ["Menjadi panutan dalam penerapan standar keadilan dan etika di tingkat nasional.",
              "Membuat konsep kebijakan dan strategi penerapan sikap integritas dalam pelaksanaan tugas dan "
              "norma-norma yang sejalan dengan nilai strategis organisasi.",
              "Mempertahankan tindakan yang berintegritas, walaupun terdapat risiko atau kerugian pribadi."]),
        ],
    },
    {
        "code": "MJ-KS", "name": "Kerja Sama", "group": "manajerial",
        "description": "Kemampuan menjalin, membina, dan mempertahankan hubungan kerja yang efektif, memiliki komitmen "
                       "saling membantu dalam penyelesaian tugas, dan mengoptimalkan segala sumber daya untuk "
                       "mencapai tujuan strategis organisasi.",
        "levels": [
            ("Berpartisipasi sebagai anggota tim yang baik, melakukan tugas/bagiannya, dan mendukung keputusan tim.",
             ["Melaksanakan tugas sesuai kesepakatan dalam tim.",
              "Menerima masukan dari anggota tim lain dan mendukung keputusan tim yang sudah diambil.",
              "Berbagi informasi yang relevan dan bermanfaat dengan anggota tim."]),
            ("Menumbuhkan tim kerja yang partisipatif dan efektif.",
             ["Membantu orang lain dalam menyelesaikan tugas-tugas mereka untuk mendukung sasaran tim.",
              "Berbagi pengalaman, pengetahuan, dan sumber daya untuk keberhasilan tim.",
              "Mendorong anggota tim untuk berpartisipasi aktif."]),
            ("Efektif membangun tim kerja untuk peningkatan kinerja organisasi.",
             ["Melihat kekuatan dan kelemahan anggota tim, membentuk tim yang tepat, dan mengantisipasi kemungkinan "
              "hambatan.",
              "Mengupayakan dukungan sumber daya dari unit kerja lain bagi pencapaian sasaran.",
              "Menyelesaikan konflik di dalam tim secara terbuka."]),
            ("Membangun komitmen yang tinggi untuk menyelesaikan tugas tim.",
             ["Memberikan inspirasi kepada tim untuk mencapai sasaran bersama.",
              "Membangun komitmen anggota tim dan pihak lain terhadap tugas dan sasaran tim.",
              "Mengembangkan kerja sama lintas unit kerja."]),
            ("Menciptakan situasi kerja sama secara konsisten, baik di dalam maupun di luar instansi.",
             ["Membangun sinergi antarunit kerja di lingkup instansi yang dipimpin.",
              "Memfasilitasi kepentingan yang berbeda dari unit kerja lain sehingga tercipta sinergi.",
              "Membangun jejaring kerja sama lintas instansi dan dengan pemangku kepentingan eksternal."]),
        ],
    },
    {
        "code": "MJ-KOM", "name": "Komunikasi", "group": "manajerial",
        "description": "Kemampuan untuk menerangkan pandangan dan gagasan secara jelas, sistematis disertai "
                       "argumentasi yang logis dengan cara-cara yang sesuai baik secara lisan maupun tertulis; "
                       "memastikan pemahaman; mendengarkan secara aktif dan efektif.",
        "levels": [
            ("Menyampaikan informasi dengan jelas, lengkap, dan membangun pemahaman yang sama.",
             ["Menyampaikan informasi (data), pikiran, atau pendapat dengan jelas, singkat, dan tepat.",
              "Menggunakan cara atau media yang sesuai untuk penerima pesan.",
              "Memastikan pesan diterima dengan pemahaman yang sama."]),
            ("Aktif menjalankan komunikasi secara formal dan informal; bersedia mendengarkan orang lain dan "
             "menanggapi dengan tepat.",
             ["Menggunakan gaya komunikasi informal untuk meningkatkan hubungan profesional.",
              "Mendengarkan pihak lain secara aktif dan menangkap maksud pesan dengan tepat.",
              "Menyusun materi presentasi, naskah, atau laporan yang runtut dan mudah dipahami."]),
            ("Berkomunikasi secara asertif; terampil berkomunikasi lisan dan tertulis untuk menyampaikan informasi "
             "yang sensitif, rumit, atau kompleks.",
             ["Menyampaikan suatu informasi yang sensitif atau rumit dengan cara penyampaian dan kelengkapan data "
              "yang tepat untuk mencapai pemahaman bersama.",
              "Menuangkan pemikiran yang kompleks dalam bentuk tulisan yang mudah dipahami.",
              "Menyampaikan pendapat secara asertif dengan tetap menghargai pihak lain."]),
            ("Mampu mengemukakan pemikiran multidimensi secara lisan dan tertulis untuk mendorong kesepakatan "
             "dengan tujuan meningkatkan kinerja secara keseluruhan.",
             ["Mengintegrasikan informasi dari berbagai sumber menjadi gagasan yang utuh.",
              "Menggunakan kemampuan persuasi untuk mencapai kesepakatan dengan pemangku kepentingan.",
              "Membangun jejaring komunikasi yang efektif di dalam dan di luar organisasi."]),
            ("Menggagas sistem komunikasi yang terbuka secara strategis untuk mencari solusi dengan tujuan "
             "meningkatkan kinerja.",
             ["Menggagas sistem komunikasi yang terbuka antara pimpinan dan pegawai di seluruh organisasi.",
              "Menyampaikan kebijakan dan arah strategis organisasi kepada publik secara meyakinkan.",
              "Menjadi narasumber atau juru bicara organisasi pada forum nasional."]),
        ],
    },
    {
        "code": "MJ-OPH", "name": "Orientasi pada Hasil", "group": "manajerial",
        "description": "Kemampuan mempertahankan komitmen pribadi yang tinggi untuk menyelesaikan tugas, dapat "
                       "diandalkan, bertanggung jawab, mampu secara sistematis mengidentifikasi risiko dan peluang "
                       "dengan memperhatikan keterhubungan antara perencanaan dan hasil, untuk keberhasilan organisasi.",
        "levels": [
            ("Bertanggung jawab untuk memenuhi standar kerja.",
             ["Menyelesaikan tugas dengan tuntas dan dapat diandalkan.",
              "Bekerja dengan teliti dan hati-hati guna meminimalkan kesalahan dengan mengacu pada standar kualitas.",
              "Bersedia menerima masukan dan mencoba cara baru untuk meningkatkan hasil kerja."]),
            ("Berupaya meningkatkan hasil kerja pribadi lebih tinggi dari standar yang ditetapkan; mencari dan "
             "mencoba metode alternatif untuk peningkatan kinerja.",
             ["Menetapkan dan berupaya mencapai standar kerja pribadi yang lebih tinggi dari standar kerja yang "
              "ditetapkan organisasi.",
              "Mencari, mencoba metode kerja alternatif untuk meningkatkan hasil kerjanya.",
              "Memberi contoh kepada orang lain untuk menyelesaikan tugas dengan tuntas."]),
            ("Menetapkan target kerja yang menantang bagi unit kerja; memberi apresiasi dan teguran untuk mendorong "
             "kinerja.",
             ["Menetapkan target kinerja unit yang lebih tinggi dari target yang ditetapkan organisasi.",
              "Memberikan apresiasi dan teguran untuk mendorong pencapaian hasil unit kerjanya.",
              "Mengembangkan metode kerja yang lebih efektif dan efisien untuk mencapai target kerja unit."]),
            ("Mendorong unit kerja mencapai target yang ditetapkan atau melebihi hasil kerja sebelumnya.",
             ["Mendorong unit kerja di tingkat instansi untuk mencapai kinerja yang melebihi target.",
              "Memantau dan mengevaluasi hasil kerja unit untuk perbaikan yang berkelanjutan.",
              "Mengalokasikan sumber daya untuk mencapai kinerja yang diharapkan."]),
            ("Meningkatkan mutu pencapaian kerja organisasi.",
             ["Mendorong organisasi untuk mencapai kinerja yang lebih tinggi dan bermutu.",
              "Mengambil risiko yang telah diperhitungkan untuk mencapai hasil yang lebih baik.",
              "Membangun sistem manajemen kinerja yang mendorong pencapaian hasil organisasi."]),
        ],
    },
    {
        "code": "MJ-PP", "name": "Pelayanan Publik", "group": "manajerial",
        "description": "Kemampuan dalam melaksanakan tugas-tugas pemerintahan, pembangunan, dan kegiatan pemenuhan "
                       "kebutuhan pelayanan publik secara profesional, transparan, mengikuti standar pelayanan yang "
                       "objektif, netral, tidak memihak, tidak diskriminatif, serta tidak terpengaruh kepentingan "
                       "pribadi, kelompok, atau partai politik.",
        "levels": [
            ("Menjalankan tugas mengikuti standar pelayanan.",
             ["Mampu mengerjakan tugas-tugas dengan mengikuti standar pelayanan yang objektif, netral, tidak "
              "memihak, tidak diskriminatif, dan tidak terpengaruh kepentingan pribadi atau kelompok.",
              "Menunjukkan sikap yakin dalam mengerjakan tugas-tugas pemerintahan dan pelayanan publik.",
              "Menunjukkan sikap ramah dan tanggap kepada pengguna layanan."]),
            ("Mampu menyelia dan menjelaskan proses pelaksanaan tugas pemerintahan atau pelayanan publik secara "
             "transparan.",
             ["Menunjukkan tanggung jawab melayani masyarakat secara transparan, objektif, dan tidak memihak.",
              "Mengawasi pelaksanaan tugas pelayanan agar sesuai standar.",
              "Menjelaskan prosedur pelayanan kepada masyarakat dengan jelas dan terbuka."]),
            ("Mampu memanfaatkan kekuatan kelompok serta memperbaiki standar pelayanan publik di lingkup unit kerja.",
             ["Memahami, mendeskripsikan pengaruh dan hubungan/kekuatan kelompok yang sedang berjalan di organisasi "
              "dan mengembangkan standar pelayanan publik.",
              "Memperbaiki standar pelayanan berdasarkan keluhan dan masukan pengguna layanan.",
              "Menerapkan strategi pelayanan yang menjaga netralitas dan objektivitas."]),
            ("Mampu memonitor, mengevaluasi, dan mengantisipasi dampak isu-isu jangka panjang, kesempatan, atau "
             "kekuatan politik dalam pelayanan kebutuhan pemangku kepentingan yang transparan, objektif, dan "
             "profesional.",
             ["Memonitor dan mengevaluasi isu jangka panjang yang berpengaruh terhadap pelayanan publik.",
              "Menerapkan strategi jangka panjang yang berfokus pada pemenuhan kebutuhan pemangku kepentingan.",
              "Menjaga agar kebijakan pelayanan tetap berpihak pada kepentingan publik."]),
            ("Mampu menciptakan kebijakan pelayanan publik yang menjamin pelayanan yang objektif, netral, tidak "
             "memihak, tidak diskriminatif, serta tidak terpengaruh kepentingan pribadi, kelompok, atau partai "
             "politik.",
             ["Menciptakan kebijakan pelayanan publik yang objektif dan netral di tingkat instansi atau nasional.",
              "Menjadi panutan dalam penyelenggaraan pelayanan publik yang profesional.",
              "Membangun budaya pelayanan prima di seluruh organisasi."]),
        ],
    },
    {
        "code": "MJ-PDOL", "name": "Pengembangan Diri dan Orang Lain", "group": "manajerial",
        "description": "Kemampuan untuk meningkatkan pengetahuan dan menyempurnakan keterampilan diri; menginspirasi "
                       "orang lain untuk mengembangkan dan menyempurnakan pengetahuan dan keterampilan yang relevan "
                       "dengan kerja dan pengembangan karier jangka panjang.",
        "levels": [
            ("Pengembangan diri.",
             ["Mengidentifikasi kebutuhan pengembangan diri dan menyeleksi sumber serta metodologi pembelajaran "
              "yang diperlukan.",
              "Menunjukkan usaha mandiri untuk mempelajari keterampilan atau kemampuan baru dari berbagai media "
              "pembelajaran.",
              "Berupaya meningkatkan diri dengan belajar dari orang lain yang berwawasan luas."]),
            ("Meningkatkan kemampuan bawahan dengan memberikan contoh dan penjelasan cara melaksanakan pekerjaan.",
             ["Meningkatkan kemampuan bawahan dengan memberikan contoh, instruksi, penjelasan, dan petunjuk praktis "
              "yang jelas.",
              "Membantu bawahan untuk mempelajari proses, program, atau sistem baru.",
              "Menggunakan metode lain untuk meyakinkan dan membangun pemahaman yang sama."]),
            ("Memberikan umpan balik dan membimbing.",
             ["Memberikan tugas-tugas yang menantang pada bawahan sebagai media belajar untuk mengembangkan "
              "kemampuannya.",
              "Mengamati bawahan dalam mengerjakan tugasnya dan memberikan umpan balik yang objektif dan jujur.",
              "Melakukan diskusi dengan bawahan untuk memberikan bimbingan dan umpan balik yang berguna."]),
            ("Menyusun program pengembangan jangka panjang dalam rangka mendorong manajemen pembelajaran.",
             ["Menyusun program pengembangan jangka panjang bersama bawahan, termasuk di dalamnya penetapan tujuan, "
              "bimbingan, penugasan, dan pengalaman lainnya.",
              "Melaksanakan manajemen pembelajaran termasuk evaluasi dan umpan balik pada tataran organisasi.",
              "Mengembangkan orang-orang di sekitarnya secara konsisten."]),
            ("Menciptakan situasi yang mendorong organisasi untuk mengembangkan kemampuan belajar secara "
             "berkelanjutan dalam rangka mendukung pencapaian hasil.",
             ["Menciptakan situasi yang mendorong individu, kelompok, dan unit kerja untuk belajar secara "
              "berkelanjutan.",
              "Membangun budaya belajar sebagai bagian dari strategi organisasi (corporate university).",
              "Menjadi mentor bagi para pemimpin di organisasi."]),
        ],
    },
    {
        "code": "MJ-MP", "name": "Mengelola Perubahan", "group": "manajerial",
        "description": "Kemampuan dalam menyesuaikan diri dengan situasi yang baru atau berubah dan tidak bergantung "
                       "secara berlebihan pada metode dan proses lama, mengambil tindakan untuk mendukung dan "
                       "melaksanakan insiatif perubahan, memimpin usaha perubahan, mengambil tanggung jawab pribadi "
                       "untuk memastikan perubahan berhasil diimplementasikan secara efektif.",
        "levels": [
            ("Menyadari pentingnya perubahan dan menyesuaikan diri dengan perubahan.",
             ["Sadar mengenai perubahan yang terjadi di organisasi dan berusaha menyesuaikan diri dengan perubahan "
              "tersebut.",
              "Mengikuti perubahan dengan arahan.",
              "Mengidentifikasi hal-hal yang perlu diubah dalam pekerjaannya."]),
            ("Proaktif beradaptasi mengikuti perubahan.",
             ["Menyesuaikan cara kerja lama dengan menerapkan metode atau proses baru dengan bimbingan orang lain.",
              "Mengikuti perubahan secara aktif tanpa menunggu arahan.",
              "Memberikan masukan untuk keberhasilan perubahan."]),
            ("Membantu orang lain mengikuti perubahan dan mengantisipasi perubahan secara tepat.",
             ["Membantu orang lain dalam melakukan perubahan.",
              "Menyesuaikan prioritas kerja secara berulang-ulang jika diperlukan.",
              "Mengantisipasi perubahan yang dibutuhkan oleh unit kerjanya secara tepat."]),
            ("Memimpin perubahan pada unit kerja.",
             ["Mengarahkan unit kerja untuk lebih siap dalam menghadapi perubahan termasuk memitigasi risiko yang "
              "mungkin terjadi.",
              "Memastikan perubahan sudah diterapkan secara aktif di lingkup unit kerjanya.",
              "Memimpin dan memastikan penerapan program perubahan selaras antarunit kerja."]),
            ("Mengarahkan perubahan pada tingkat organisasi.",
             ["Menciptakan kondisi yang mendorong perubahan di seluruh organisasi.",
              "Merancang strategi perubahan yang sejalan dengan arah kebijakan nasional.",
              "Menjadi sponsor perubahan dan memastikan keberlanjutannya."]),
        ],
    },
    {
        "code": "MJ-PK", "name": "Pengambilan Keputusan", "group": "manajerial",
        "description": "Kemampuan membuat keputusan yang baik secara tepat waktu dan dengan keyakinan diri setelah "
                       "mempertimbangkan prinsip kehati-hatian, dirumuskan secara sistematis dan seksama berdasarkan "
                       "berbagai informasi, alternatif pemecahan masalah, dan konsekuensinya, serta bertanggung jawab "
                       "atas keputusan yang diambil.",
        "levels": [
            ("Mengumpulkan informasi untuk bertindak sesuai kewenangan.",
             ["Mengumpulkan dan mempertimbangkan informasi yang dibutuhkan dalam mencari solusi.",
              "Mengenali situasi atau pilihan tindakan yang tepat untuk bertindak sesuai kewenangan.",
              "Mempertimbangkan kemungkinan solusi yang dapat diterapkan dalam pekerjaan rutin berdasarkan "
              "kebijakan dan prosedur yang telah ditentukan."]),
            ("Menganalisis masalah secara mendalam.",
             ["Melakukan analisis secara mendalam terhadap informasi yang tersedia dalam upaya mencari solusi.",
              "Mempertimbangkan berbagai alternatif yang ada sebelum membuat kesimpulan.",
              "Membuat keputusan operasional berdasarkan kesimpulan dari berbagai sumber informasi sesuai dengan "
              "pedoman yang ada."]),
            ("Membandingkan berbagai alternatif dan menyeimbangkan risiko keberhasilan dalam implementasi.",
             ["Membandingkan berbagai alternatif tindakan dan implikasinya.",
              "Memilih alternatif solusi yang terbaik, membuat keputusan operasional mengacu pada alternatif solusi "
              "terbaik yang didasarkan pada analisis data yang sistematis, seksama, dan mengikuti prinsip "
              "kehati-hatian.",
              "Menyeimbangkan antara kemungkinan risiko dan keberhasilan dalam implementasinya."]),
            ("Menyelesaikan masalah yang mengandung risiko tinggi, mengantisipasi dampak keputusan, dan membuat "
             "tindakan pengamanan (mitigasi risiko).",
             ["Menyusun dan/atau memutuskan konsep penyelesaian masalah yang melibatkan beberapa atau seluruh fungsi "
              "dalam organisasi.",
              "Menghasilkan solusi dari berbagai masalah yang kompleks, terkait dengan bidang kerjanya yang "
              "berdampak pada pihak lain.",
              "Membuat keputusan dan mengantisipasi dampak keputusannya serta menyiapkan tindakan penanganannya "
              "(mitigasi risiko)."]),
            ("Menghasilkan solusi dan mengambil keputusan untuk mengatasi permasalahan jangka panjang atau strategis "
             "yang berdampak nasional.",
             ["Menghasilkan solusi yang dapat mengatasi permasalahan jangka panjang.",
              "Menghasilkan solusi strategis yang berdampak pada tataran instansi atau nasional.",
              "Membuat keputusan atau kebijakan yang berdampak nasional dengan memitigasi risiko yang mungkin "
              "timbul."]),
        ],
    },
    {
        "code": "SK-PB", "name": "Perekat Bangsa", "group": "sosial_kultural",
        "description": "Kemampuan dalam mempromosikan sikap toleransi, keterbukaan, peka terhadap perbedaan individu "
                       "atau kelompok masyarakat; mampu menjadi perpanjangan tangan pemerintah dalam mempersatukan "
                       "masyarakat dan membangun hubungan sosial psikologis dengan masyarakat di tengah kemajemukan "
                       "Indonesia sehingga menciptakan kelekatan yang kuat antara ASN dan para pemangku kepentingan "
                       "serta di antara para pemangku kepentingan itu sendiri; menjaga, mengembangkan, dan "
                       "mewujudkan rasa persatuan dan kesatuan dalam kehidupan bermasyarakat, berbangsa, dan "
                       "bernegara Indonesia.",
        "levels": [
            ("Peka memahami dan menerima kemajemukan.",
             ["Memahami, menerima, dan peka terhadap perbedaan individu atau kelompok masyarakat.",
              "Mau mempelajari dan memahami budaya, agama, dan suku yang berbeda.",
              "Tidak membeda-bedakan rekan kerja dan pengguna layanan berdasarkan latar belakangnya."]),
            ("Aktif mengembangkan sikap saling menghargai, menekankan persamaan dan persatuan.",
             ["Menampilkan sikap dan perilaku yang peduli akan nilai-nilai keberagaman dan menghargai perbedaan.",
              "Membangun hubungan baik antarindividu dalam organisasi, mitra kerja, dan pemangku kepentingan.",
              "Bersikap tenang, mampu mengendalikan emosi, kemarahan, dan frustrasi dalam menghadapi pertentangan "
              "yang ditimbulkan oleh perbedaan latar belakang, agama, suku, jender, sosial ekonomi, atau "
              "preferensi politik."]),
            ("Mempromosikan dan mengembangkan sikap toleransi dan persatuan.",
             ["Mempromosikan sikap menghargai perbedaan di antara orang-orang yang mendorong toleransi dan "
              "keterbukaan.",
              "Melakukan pemetaan sosial di masyarakat sehingga dapat memberikan respons yang sesuai dengan budaya "
              "yang berlaku.",
              "Mengidentifikasi potensi kesalahpahaman yang diakibatkan adanya keragaman budaya yang ada."]),
            ("Mendayagunakan perbedaan secara konstruktif dan kreatif untuk meningkatkan efektivitas organisasi.",
             ["Menginisiasi dan merepresentasikan pemerintah di lingkungan kerja dan masyarakat untuk senantiasa "
              "menjaga persatuan dan kesatuan dalam keberagaman.",
              "Menciptakan suasana kerja yang menghargai keberagaman latar belakang pegawai.",
              "Memanfaatkan perbedaan pandangan untuk menghasilkan gagasan yang lebih baik."]),
            ("Wakil pemerintah untuk membangun hubungan sosial psikologis.",
             ["Menjadi wakil pemerintah yang mampu membangun hubungan sosial psikologis dengan masyarakat sehingga "
              "menciptakan kelekatan yang kuat antara ASN dan para pemangku kepentingan.",
              "Mampu membuat kebijakan yang mengakomodasi perbedaan latar belakang, agama, suku, jender, sosial "
              "ekonomi, dan preferensi politik.",
              "Mendorong terwujudnya persatuan dan kesatuan dalam kehidupan berbangsa dan bernegara."]),
        ],
    },
    {
        "code": "TEK-LITDIG", "name": "Literasi Digital", "group": "teknis",
        "description": "Kemampuan menggunakan perangkat, layanan, dan data digital secara aman, etis, dan produktif "
                       "untuk mendukung pelayanan publik berbasis teknologi (SPBE).",
        "levels": [
            ("Menggunakan perangkat dan aplikasi perkantoran digital untuk tugas sehari-hari.",
             ["Mengoperasikan surel, pengolah kata, lembar kerja, dan aplikasi persuratan elektronik.",
              "Menjaga kata sandi dan tidak membagikan akun."]),
            ("Mengelola informasi dan data digital secara aman dan etis.",
             ["Mencari dan menilai kebenaran informasi digital sebelum menyebarkannya.",
              "Melindungi data pribadi warga sesuai ketentuan pelindungan data pribadi.",
              "Menggunakan tanda tangan elektronik dan penyimpanan awan instansi."]),
            ("Memanfaatkan layanan digital untuk memperbaiki proses kerja unit.",
             ["Menyederhanakan proses layanan unit dengan aplikasi SPBE yang tersedia.",
              "Mengolah dan menyajikan data unit kerja dalam bentuk dasbor atau visualisasi."]),
            ("Merancang layanan publik berbasis teknologi.",
             ["Menyusun kebutuhan dan alur layanan digital bersama pengguna layanan.",
              "Mengelola risiko keamanan informasi layanan digital."]),
            ("Mengarahkan transformasi digital instansi.",
             ["Menyusun peta jalan transformasi digital yang selaras dengan arsitektur SPBE nasional.",
              "Membangun budaya kerja digital di seluruh instansi."]),
        ],
    },
    {
        "code": "TEK-KEUDA", "name": "Pengelolaan Keuangan Daerah", "group": "teknis",
        "description": "Kemampuan merencanakan, melaksanakan, menatausahakan, melaporkan, dan mempertanggungjawabkan "
                       "keuangan daerah secara tertib, transparan, dan akuntabel sesuai peraturan (termasuk tata "
                       "kelola keuangan elektronik, UU 1/2022 tentang HKPD).",
        "levels": [
            ("Memahami siklus dan dokumen pengelolaan keuangan daerah.",
             ["Menjelaskan siklus APBD dari perencanaan sampai pertanggungjawaban.",
              "Mengenali dokumen pelaksanaan anggaran dan bukti pengeluaran yang sah."]),
            ("Menatausahakan keuangan unit kerja sesuai ketentuan.",
             ["Menyusun dokumen penatausahaan (SPP, SPM, buku kas) dengan benar.",
              "Menggunakan aplikasi keuangan daerah elektronik untuk transaksi unit."]),
            ("Menyusun anggaran dan laporan keuangan perangkat daerah.",
             ["Menyusun RKA perangkat daerah yang selaras dengan rencana kerja.",
              "Menyusun laporan keuangan perangkat daerah sesuai standar akuntansi pemerintahan."]),
            ("Mengendalikan dan menganalisis kinerja keuangan daerah.",
             ["Menganalisis realisasi anggaran dan merekomendasikan perbaikan.",
              "Menerapkan pengendalian intern atas pengelolaan keuangan."]),
            ("Merumuskan kebijakan pengelolaan keuangan daerah.",
             ["Merumuskan kebijakan keuangan daerah yang selaras dengan hubungan keuangan pusat dan daerah.",
              "Memimpin penerapan tata kelola keuangan elektronik di tingkat pemerintah daerah."]),
        ],
    },
    {
        "code": "PEM-OTDA", "name": "Wawasan Otonomi Daerah", "group": "pemerintahan",
        "description": "Kemampuan memahami dan menerapkan prinsip otonomi daerah, pembagian urusan pemerintahan, dan "
                       "hubungan pemerintah pusat dan daerah dalam penyelenggaraan pemerintahan daerah "
                       "(kompetensi pemerintahan, Permendagri 108/2017).",
        "levels": [
            ("Memahami prinsip dasar otonomi daerah dan urusan pemerintahan.",
             ["Menjelaskan pembagian urusan pemerintahan absolut, konkuren, dan umum.",
              "Mengenali kewenangan daerah yang terkait dengan tugasnya."]),
            ("Menerapkan ketentuan otonomi daerah dalam pelaksanaan tugas.",
             ["Melaksanakan tugas sesuai pembagian kewenangan pusat, provinsi, dan kabupaten/kota.",
              "Menjelaskan dasar kewenangan suatu layanan kepada masyarakat."]),
            ("Menganalisis isu penyelenggaraan pemerintahan daerah di unit kerja.",
             ["Menganalisis tumpang tindih kewenangan dan mengusulkan penyelesaiannya.",
              "Menyusun bahan koordinasi dengan instansi vertikal dan pemerintah daerah lain."]),
            ("Mengoordinasikan hubungan pusat dan daerah.",
             ["Memimpin koordinasi lintas tingkat pemerintahan untuk program prioritas.",
              "Mengelola hubungan eksekutif dan legislatif daerah dalam penyusunan kebijakan."]),
            ("Merumuskan kebijakan penyelenggaraan pemerintahan daerah.",
             ["Merumuskan kebijakan daerah yang selaras dengan kebijakan nasional.",
              "Mengevaluasi efektivitas otonomi daerah dan merekomendasikan perbaikan."]),
        ],
    },
]


def level_rows() -> list[dict]:
    """(code, level, description, indicators) rows of the whole dictionary."""
    out = []
    for comp in DICTIONARY:
        for i, (desc, indicators) in enumerate(comp["levels"], start=1):
            out.append({"code": comp["code"], "level": i, "description": desc, "indicators": "\n".join(indicators)})
    return out
