"""Benchmark ``knowledge.matching.Matcher`` on generated knowledge bases of growing size.

For 100, 1k, 10k and 100k generated articles (5 symptoms each, English and Indonesian) it
prints the index build time, the peak RSS and the per-query p50/p99 latency, beside brute
force -- ``rapidfuzz.process.extract`` over every symptom -- measured in the same run, and
checks the targets of the matcher-scaling issue. Each size runs in its own child process, so
its peak RSS is its own. This is a benchmark, not a test: it prints figures and exits 0.

    python bench/matcher.py [--sizes 100,1000,10000,100000] [--queries 300] [--seed 7]

The generator's word lists live here as Python literals on purpose: they are synthetic load,
not knowledge-base content, and keeping one file keeps the benchmark easy to run and read.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from a checkout, installed or not

from rapidfuzz import fuzz, process, utils  # noqa: E402

from knowledge.articles import ArticleDoc  # noqa: E402
from knowledge.matching import Matcher  # noqa: E402

SIZES = (100, 1_000, 10_000, 100_000)
BUILDS_UP_TO_10K = 3  # median of three builds; one at 100k, where a build takes seconds
WARM_UP = 5  # untimed queries first, so lazy caches and branch predictors are warm
OFF_TOPIC_SHARE = 0.1
INDONESIAN_SHARE = 0.25
TARGET_P99_MS = 2.0  # at 10k articles
TARGET_RATIO = 0.2  # garda p99 / brute-force p99, at 10k articles
TARGET_BUILD_S = 10.0  # at 100k articles
TARGET_RSS_MB = 400.0  # at 100k articles
LETTERS = re.compile(r"[a-z]+")
T = TypeVar("T")

# --- the generated knowledge base ---------------------------------------------------------------


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|"))


DEPARTMENTS = tuple(zip(
    _split("Finance|Sales|HR|Logistics|Marketing|Legal|Procurement|Warehouse|Customer Service|"
           "Engineering|Audit|Treasury|Payroll|Operations|Research|Quality|Security|Facilities|"
           "Training|Tax|Risk|Compliance|Design|Production|Shipping|Accounting|Reception"),
    _split("Keuangan|Penjualan|SDM|Logistik|Pemasaran|Hukum|Pengadaan|Gudang|Layanan Pelanggan|"
           "Teknik|Audit|Treasury|Penggajian|Operasional|Riset|Mutu|Keamanan|Fasilitas|"
           "Pelatihan|Pajak|Risiko|Kepatuhan|Desain|Produksi|Pengiriman|Akuntansi|Resepsionis"),
    strict=True,
))  # fmt: skip
TOOLS = tuple(zip(
    _split("payroll portal|expense app|timesheet system|HR portal|CRM|inventory tracker|"
           "invoice tool|booking system|leave request form|procurement portal|sales dashboard|"
           "reporting tool|document archive|helpdesk portal|learning portal|budget planner|"
           "warehouse scanner app|cashier software|contract database|attendance app|"
           "fleet tracker|quotation builder|asset register|visitor log|e-signature tool"),
    _split("portal gaji|aplikasi reimburse|sistem timesheet|portal HR|CRM|aplikasi inventaris|"
           "aplikasi faktur|sistem booking|form cuti|portal pengadaan|dashboard penjualan|"
           "aplikasi laporan|arsip dokumen|portal helpdesk|portal pelatihan|aplikasi anggaran|"
           "aplikasi scanner gudang|aplikasi kasir|database kontrak|aplikasi presensi|"
           "pelacak armada|pembuat penawaran|daftar aset|buku tamu digital|aplikasi tanda tangan"),
    strict=True,
))  # fmt: skip
PRODUCTS = _split(
    "Outlook|Teams|Zoom|Excel|Word|PowerPoint|SAP|Salesforce|Jira|Confluence|Slack|Chrome|"
    "Firefox|Edge|AutoCAD|Photoshop|Acrobat Reader|QuickBooks|Tableau|Power BI|OneDrive|"
    "SharePoint|Dropbox|Zendesk|ServiceNow|Workday|Oracle Forms|Visual Studio|Citrix Workspace|"
    "Google Drive|Notion|Trello|Accurate|Jurnal|Mekari Talenta|Odoo|Moodle|Canva|WhatsApp Web"
)
CITIES = _split(
    "Jakarta|Surabaya|Bandung|Medan|Semarang|Makassar|Denpasar|Yogyakarta|Palembang|Balikpapan|"
    "Batam|Pekanbaru|Malang|Manado|Pontianak|Singapore|Kuala Lumpur|Sydney|London|Rotterdam|"
    "Tokyo|Bangkok|Cikarang|Bekasi|Tangerang|Bogor|Solo|Padang|Kupang|Jayapura"
)
HARDWARE = _split(
    "Dell Latitude|Dell OptiPlex|HP EliteBook|HP ProBook|Lenovo ThinkPad|Lenovo IdeaPad|"
    "MacBook Pro|MacBook Air|Asus ExpertBook|Acer TravelMate|Surface Laptop|iMac|Mac mini"
)
PRINTER_BRANDS = _split("HP LaserJet|Canon imageRUNNER|Epson EcoTank|Brother|Kyocera|Zebra|Ricoh")
VPN_CLIENTS = _split("GlobalProtect|FortiClient|Cisco AnyConnect|WireGuard|OpenVPN|Zscaler")
PHONES = _split("Yealink|Polycom|Cisco IP phone|Grandstream|3CX softphone|Zoom Phone")
SYLLABLES = _split(
    "ka|ro|vi|ta|me|lo|san|dri|nex|tor|ven|li|mar|do|sel|in|ra|pu|zen|qua|fi|bel|kor|tam|sin|"
    "ga|ber|on|lux|tri|sa|mi|nu|pra|ko|del|var|ion|te|bu"
)
ENDINGS = ("", "", "", "ix", "ora", "ify", "io", "is", "ly", "ex")
DAYS_EN = _split("Monday|Tuesday|Wednesday|Thursday|Friday|yesterday|last week|the weekend")
DAYS_ID = _split("Senin|Selasa|Rabu|Kamis|Jumat|kemarin|minggu lalu|akhir pekan")
MESSAGES_EN = _split(
    "Access is denied|The RPC server is unavailable|Connection timed out|Internal server error|"
    "License not found|Session expired|Unexpected error occurred|Profile could not be loaded"
)
MESSAGES_ID = _split(
    "Akses ditolak|Koneksi terputus|Lisensi tidak ditemukan|Sesi berakhir|Terjadi kesalahan|"
    "Profil tidak dapat dimuat|Server tidak merespons"
)
FRAMES_EN = _split(
    "{c}|{c}|{c}|hi, {c}|{c} since this morning|{c} since {day}|since the update {c}|"
    "{c}, please help|{c} and I have a deadline today|urgent: {c}|{c} for the whole {dept} team|"
    "not sure why but {c}|{c} again|{c}, restarting did not help"
)
FRAMES_ID = _split(
    "{c}|{c}|{c}|pak, {c}|{c} dari tadi pagi|{c} sejak {day}|tolong, {c}|{c}, gimana ya|"
    "min, {c}|kenapa {c}?|{c}, padahal kemarin normal|mohon bantuan, {c}|{c}, sudah restart tetap"
)
FILLERS_EN = _split("hi team|urgent|please|asap|thanks|any idea?|hello|sorry to bother you")
FILLERS_ID = _split("tolong|dong|pak|segera ya|makasih|mohon dibantu|halo min|kak")
OFF_TOPIC = _split(
    "what time does the canteen close|can you book meeting room 4 for Friday|"
    "who won the football last night|is the parking lot open on Saturday|"
    "happy birthday to Rina from Finance|where can I find the holiday calendar|"
    "how many leave days do I have left|order a pizza with extra cheese|"
    "jam berapa kantin tutup|ruang rapat 4 kosong nggak besok|selamat ulang tahun bu Rina|"
    "parkiran motor penuh lagi|kapan gajian bulan ini|ada yang lihat kunci mobil saya"
)


@dataclass(frozen=True)
class Problem:
    """A kind of trouble, worded in both languages; ``{s}`` is the subject, ``{code}`` a code."""

    en: tuple[str, ...]
    id: tuple[str, ...]
    title_en: str
    title_id: str
    keywords_en: tuple[str, ...]
    keywords_id: tuple[str, ...]


def _problem(en: str, id_: str, titles: str, keywords_en: str, keywords_id: str) -> Problem:
    title_en, title_id = _split(titles)
    return Problem(
        _split(en), _split(id_), title_en, title_id, _split(keywords_en), _split(keywords_id)
    )


# fmt: off
PROBLEMS: dict[str, Problem] = {
    "start": _problem(
        "{s} won't start|{s} doesn't open at all|I can't get {s} to launch|nothing happens when "
        "I click {s}|{s} is stuck on the loading screen|{s} opens and closes straight away",
        "{s} tidak bisa dibuka|{s} gak mau kebuka|{s} nggak jalan sama sekali|{s} stuck di "
        "loading terus|klik {s} tapi tidak ada apa-apa|{s} kebuka terus langsung nutup",
        "{s} will not start|{s} tidak bisa dibuka", "start|open|launch|loading", "buka|loading"),
    "crash": _problem(
        "{s} keeps crashing|{s} closes by itself|{s} crashes every time I save|{s} freezes and "
        "then quits|{s} stops responding after a few minutes|{s} crashed and I lost my work",
        "{s} sering crash|{s} keluar sendiri|{s} tiba-tiba tertutup|{s} force close terus|"
        "{s} nge-hang lalu mati|{s} crash pas lagi save",
        "{s} keeps crashing|{s} sering crash", "crash|freeze|quits|responding",
        "crash|hang|tertutup"),
    "slow": _problem(
        "{s} is very slow|{s} takes forever to load|{s} lags all the time|{s} is painfully "
        "sluggish|everything in {s} takes minutes|{s} got really slow after the update",
        "{s} lemot sekali|{s} lambat banget|loading {s} lama sekali|{s} lelet parah|{s} nge-lag "
        "terus|{s} jadi lemot setelah update",
        "{s} is slow|{s} lambat", "slow|lag|sluggish|performance", "lemot|lambat|lag"),
    "error": _problem(
        "{s} shows error {code}|{s} gives me error {code}|{s} says {msg}|I get {code} when I "
        "open {s}|{s} fails with {code}|an error pops up in {s}: {msg}",
        "{s} muncul error {code}|{s} keluar pesan {msg}|error {code} terus di {s}|{s} gagal "
        "dengan kode {code}|buka {s} malah muncul {msg}",
        "{s} shows an error|{s} menampilkan error", "error|code|message|fails", "error|gagal|kode"),
    "login": _problem(
        "{s} asks for my password again and again|{s} keeps prompting for my credentials|{s} "
        "won't accept my password|{s} logs me out every few minutes|{s} says my password is "
        "wrong|I can't log in to {s}",
        "{s} minta password terus|password saya ditolak {s}|{s} selalu minta login ulang|{s} "
        "bilang password salah|tidak bisa login ke {s}",
        "{s} keeps asking for the password|{s} minta password terus", "password|login|sign-in",
        "password|login|masuk"),
    "access": _problem(
        "{s} says access denied|I don't have permission to open {s}|I need access to {s}|{s} "
        "tells me to ask the owner for access|my access to {s} disappeared",
        "akses ke {s} ditolak|saya tidak punya izin buka {s}|minta akses ke {s}|akses {s} saya "
        "hilang|{s} bilang akses ditolak",
        "No access to {s}|Tidak ada akses ke {s}", "access|permission|denied", "akses|izin"),
    "install": _problem(
        "I need {s} installed on my laptop|can you install {s} for me|the installer for {s} "
        "fails|{s} is missing from the software center|how do I get {s} on my new PC",
        "minta install {s}|tolong pasangkan {s} di laptop saya|installer {s} gagal|{s} tidak ada"
        " di software center|gimana cara pasang {s} di PC baru",
        "Install {s}|Pasang {s}", "install|installer|software", "install|pasang|instal"),
    "update": _problem(
        "{s} won't update|the {s} update fails at {pct}%|{s} says an update is required|after "
        "updating {s} nothing works|{s} is stuck on an old version",
        "{s} gagal update|update {s} berhenti di {pct}%|{s} minta update terus|habis update {s}"
        " jadi error|{s} tidak mau naik versi",
        "{s} will not update|{s} gagal update", "update|version|upgrade", "update|versi"),
    "power": _problem(
        "{s} won't turn on|{s} is dead, no lights at all|{s} shuts down by itself|{s} won't "
        "charge|{s} beeps and then turns off|the battery on {s} dies in an hour",
        "{s} tidak mau nyala|{s} mati total|{s} mati sendiri|{s} tidak bisa dicas|baterai {s} "
        "cepat habis|{s} bunyi bip lalu mati",
        "{s} will not turn on|{s} tidak mau menyala", "power|battery|charge|boot",
        "nyala|baterai|cas|mati"),
    "screen": _problem(
        "{s} shows a black screen|the screen on {s} flickers|{s} has no display|there are "
        "lines across the screen of {s}|the external monitor on {s} says no signal",
        "layar {s} hitam|layar {s} berkedip|{s} tidak ada tampilan|ada garis di layar {s}|"
        "monitor {s} no signal",
        "Screen problem on {s}|Masalah layar {s}", "screen|display|monitor|signal",
        "layar|monitor|tampilan"),
    "disk": _problem(
        "{s} says the disk is full|{s} is out of storage|there is no space left on {s}|{s} "
        "warns about low disk space|I can't save anything, {s} is full",
        "disk {s} penuh|memori {s} penuh|{s} kehabisan ruang|muncul peringatan disk hampir "
        "penuh di {s}|tidak bisa simpan file, {s} penuh",
        "{s} is out of disk space|Disk {s} penuh", "disk|storage|space|full",
        "disk|penuh|memori"),
    "print": _problem(
        "{s} won't print|{s} prints blank pages|paper is jammed in {s}|{s} shows offline|my "
        "jobs are stuck in the queue for {s}|{s} prints everything very faint",
        "{s} tidak bisa print|hasil print {s} kosong|kertas nyangkut di {s}|{s} statusnya "
        "offline|antrian print {s} macet|hasil cetak {s} pudar",
        "{s} is not printing|{s} tidak bisa mencetak", "print|paper|jam|queue|toner",
        "print|cetak|kertas"),
    "connect": _problem(
        "{s} won't connect|I can't connect to {s}|{s} disconnects every few minutes|{s} keeps "
        "dropping|{s} times out when connecting|{s} connects but nothing loads",
        "{s} tidak bisa connect|gak bisa konek ke {s}|{s} putus-putus|{s} sering terputus|{s} "
        "timeout waktu konek|{s} tersambung tapi tidak bisa buka apa-apa",
        "{s} will not connect|{s} tidak bisa tersambung", "connect|connection|drops|timeout",
        "konek|koneksi|putus"),
    "mail": _problem(
        "{s} isn't receiving emails|emails are stuck in the outbox of {s}|{s} says the mailbox "
        "is full|{s} stopped syncing|messages sent to {s} bounce back",
        "email di {s} tidak masuk|email nyangkut di outbox {s}|{s} bilang kotak masuk penuh|{s}"
        " tidak sinkron|email ke {s} mental balik",
        "{s} is not receiving email|{s} tidak menerima email", "email|mail|outbox|inbox|sync",
        "email|surel|sinkron"),
    "locked": _problem(
        "{s} is locked|{s} locked me out after three tries|{s} says the account is disabled|I'm"
        " locked out of {s}|{s} is blocked after I typed the wrong password",
        "{s} terkunci|{s} terblokir setelah salah password|{s} dinonaktifkan|saya tidak bisa "
        "masuk, {s} terkunci|{s} kena blokir",
        "{s} is locked|{s} terkunci", "locked|disabled|blocked", "terkunci|blokir"),
    "mfa": _problem(
        "{s} doesn't send the verification code|{s} rejects my authenticator code|I got a new "
        "phone and the MFA for {s} is gone|the push approval for {s} never arrives|the SMS code"
        " for {s} expires before it arrives",
        "kode OTP {s} tidak masuk|kode authenticator {s} ditolak|ganti HP, MFA {s} hilang|"
        "notifikasi approve {s} tidak muncul|kode SMS {s} keburu kadaluarsa",
        "Verification code problem with {s}|Masalah kode verifikasi {s}",
        "MFA|code|authenticator|verification", "OTP|kode|MFA"),
    "username": _problem(
        "I forgot my username for {s}|what is my login name for {s}|I don't remember which user"
        " id {s} uses|{s} does not know my email address|which account do I use for {s}",
        "lupa username {s}|username {s} saya apa ya|tidak ingat user id untuk {s}|{s} tidak "
        "kenal email saya|akun mana yang dipakai untuk {s}",
        "Forgotten username for {s}|Lupa username {s}", "username|login|account",
        "username|akun"),
    "down": _problem(
        "{s} is down|{s} is not loading|{s} returns 502 bad gateway|{s} shows 503 service "
        "unavailable|{s} is unreachable for everyone|{s} went down an hour ago",
        "{s} sedang down|{s} tidak bisa diakses|{s} mati|{s} error 502|{s} tidak bisa dibuka "
        "siapa pun|{s} down dari sejam lalu",
        "{s} is down|{s} sedang down", "down|outage|unreachable|502", "down|mati|akses"),
    "cert": _problem(
        "{s} shows a certificate warning|the browser says my connection to {s} is not private|"
        "the certificate of {s} expired|{s} has an SSL error|{s} says the security certificate"
        " is not trusted",
        "{s} muncul peringatan sertifikat|browser bilang koneksi ke {s} tidak aman|sertifikat "
        "{s} kadaluarsa|{s} error SSL|sertifikat keamanan {s} tidak dipercaya",
        "Certificate warning on {s}|Peringatan sertifikat di {s}", "certificate|SSL|private",
        "sertifikat|SSL"),
    "dns": _problem(
        "{s} can't be found|server not found when I open {s}|{s} gives "
        "DNS_PROBE_FINISHED_NXDOMAIN|{s} resolves to the wrong address|the name {s} does not "
        "resolve",
        "{s} tidak ditemukan|server tidak ditemukan waktu buka {s}|{s} error DNS|{s} mengarah ke"
        " alamat yang salah|nama {s} tidak bisa di-resolve",
        "{s} cannot be found|{s} tidak ditemukan", "DNS|resolve|address|domain",
        "DNS|domain|alamat"),
    "phone": _problem(
        "{s} has no dial tone|I can't hear the caller on {s}|{s} keeps rebooting|people can't "
        "hear me on {s}|{s} shows no service",
        "{s} tidak ada nada sambung|suara di {s} tidak terdengar|{s} restart sendiri terus|"
        "lawan bicara tidak bisa dengar saya di {s}|{s} tidak ada sinyal",
        "{s} has no sound or tone|{s} tidak ada suara", "phone|call|audio|dial",
        "telepon|suara|panggilan"),
}
# fmt: on

# Which problems each kind of subject has, and the KB topic of such an article.
KINDS: dict[str, dict[str, str]] = {
    "app": {"start": "software_problem", "crash": "software_problem", "slow": "software_problem",
            "error": "software_problem", "login": "password_reset", "access": "access_request",
            "install": "software_install", "update": "software_problem"},
    "computer": {"power": "hardware_problem", "slow": "slow_computer", "crash": "hardware_problem",
                 "disk": "disk_full", "screen": "hardware_problem", "update": "software_problem"},
    "printer": {"print": "printer", "error": "printer", "connect": "printer"},
    "vpn": {"connect": "vpn", "login": "vpn", "error": "vpn", "slow": "vpn"},
    "wifi": {"connect": "wifi", "slow": "wifi", "login": "wifi"},
    "share": {"access": "access_request", "connect": "network_drive", "slow": "network_drive",
              "error": "network_drive"},
    "mailbox": {"mail": "email", "login": "email", "slow": "email", "error": "email"},
    "account": {"login": "password_reset", "locked": "account_locked", "mfa": "mfa",
                "username": "username_reminder"},
    "site": {"down": "website_down", "cert": "ssl_certificate", "dns": "dns", "slow": "browser",
             "error": "website_down"},
    "server": {"down": "server_down", "slow": "server_down", "error": "server_down",
               "disk": "server_down"},
    "phone": {"phone": "phone", "connect": "phone", "power": "phone"},
}  # fmt: skip
KIND_WEIGHTS = {"app": 6, "computer": 3, "printer": 2, "vpn": 1, "wifi": 1, "share": 2,
                "mailbox": 1, "account": 2, "site": 2, "server": 1, "phone": 1}  # fmt: skip


@dataclass(frozen=True)
class Subject:
    """What an article is about, in both languages; ``proper`` names take no "the"."""

    kind: str
    en: str
    id: str
    proper: bool
    keywords: tuple[str, ...]


def product_names(rng: random.Random, count: int = 2500) -> list[str]:
    """Invented in-house product names ("Korvix", "Tamaro"), so the vocabulary is large."""
    names: dict[str, None] = {}
    while len(names) < count:
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
        names[(stem + rng.choice(ENDINGS)).capitalize()] = None
    return list(names)


def make_subject(kind: str, rng: random.Random, invented: Sequence[str]) -> Subject:
    """A subject of ``kind`` with generated names and numbers, so articles stay distinct."""
    dept, dept_id = rng.choice(DEPARTMENTS)
    tool, tool_id = rng.choice(TOOLS)
    city = rng.choice(CITIES)
    product = rng.choice(invented) if rng.random() < 0.7 else rng.choice(PRODUCTS)
    floor, number = rng.randint(1, 40), rng.randint(1, 99)
    room = f"{rng.randint(1, 9)}.{rng.randint(1, 40)}"
    host = f"{product.lower().replace(' ', '')}-{city.lower().replace(' ', '')}"
    options: list[tuple[str, str, bool, tuple[str, ...]]]
    match kind:
        case "app":
            options = [
                (product, product, True, (product,)),
                (f"{product} {tool}", f"{tool_id} {product}", False, (product, tool)),
                (f"{dept} {tool}", f"{tool_id} {dept_id}", False, (dept, tool)),
                (f"{product} {number // 10}.{number % 10}", f"{product} versi {number // 10}."
                 f"{number % 10}", True, (product,)),
                (f"{tool} for the {city} office", f"{tool_id} kantor {city}", False, (tool, city)),
            ]  # fmt: skip
        case "computer":
            model = f"{rng.choice(HARDWARE)} {rng.randint(3, 9)}{rng.randint(10, 99)}0"
            tag = f"LT-{rng.randint(10000, 99999)}"
            options = [
                (f"{model} laptop", f"laptop {model}", False, (model, "laptop")),
                (f"desktop PC at desk {floor}-{number}", f"PC di meja {floor}-{number}", False,
                 ("desktop", "PC")),
                (f"laptop with asset tag {tag}", f"laptop dengan tag {tag}", False,
                 ("laptop", tag)),
                (f"workstation in the {dept} lab", f"workstation di lab {dept_id}", False,
                 ("workstation", dept)),
            ]  # fmt: skip
        case "printer":
            brand = rng.choice(PRINTER_BRANDS)
            options = [
                (f"printer on floor {floor}", f"printer lantai {floor}", False,
                 ("printer", "floor")),
                (f"{brand} printer in room {room}", f"printer {brand} di ruang {room}", False,
                 (brand, "printer")),
                (f"label printer in warehouse {chr(65 + number % 8)}{floor}",
                 f"printer label di gudang {chr(65 + number % 8)}{floor}", False,
                 ("label", "printer")),
                (f"{dept} printer PRN-{number:02d}", f"printer {dept_id} PRN-{number:02d}", False,
                 ("printer", dept)),
            ]  # fmt: skip
        case "vpn":
            client = rng.choice(VPN_CLIENTS)
            options = [
                (f"{client} VPN to the {city} office", f"VPN {client} ke kantor {city}", False,
                 ("VPN", client, city)),
                (f"{client} on my {product} profile", f"{client} profil {product}", True,
                 (client, product)),
                (f"site VPN for {city} branch {number}", f"VPN cabang {city} {number}", False,
                 ("VPN", city)),
            ]  # fmt: skip
        case "wifi":
            ssid = f"CORP-{city[:3].upper()}-{number}"
            options = [
                (f"guest wifi in building {chr(65 + floor % 8)}{number}",
                 f"wifi tamu di gedung {chr(65 + floor % 8)}{number}", False, ("wifi", "guest")),
                (f"wifi on floor {floor} in {city}", f"wifi lantai {floor} di {city}", False,
                 ("wifi", city)),
                (f"{ssid} wifi", f"wifi {ssid}", True, ("wifi", ssid)),
                (f"wifi in meeting room {room}", f"wifi ruang rapat {room}", False,
                 ("wifi", "room")),
            ]  # fmt: skip
        case "share":
            letter = rng.choice("GHKMNPSTVXZ")
            options = [
                (f"{dept} share drive {number}", f"folder bersama {dept_id} {number}", False,
                 (dept, "share", "drive")),
                (f"mapped {letter}: drive for {dept}", f"drive {letter}: {dept_id}", False,
                 ("drive", dept)),
                (f"{dept} folder on fs{number:02d}", f"folder {dept_id} di fs{number:02d}", False,
                 ("folder", f"fs{number:02d}")),
                (f"SharePoint site {product}", f"situs SharePoint {product}", True,
                 ("SharePoint", product)),
            ]  # fmt: skip
        case "mailbox":
            options = [
                (f"{dept} shared mailbox", f"shared mailbox {dept_id}", False, ("mailbox", dept)),
                (f"{product} mailbox in Outlook", f"mailbox {product} di Outlook", False,
                 ("Outlook", product)),
                (f"{dept.lower()}-{city.lower()} mailing list", f"milis {dept_id} {city}", False,
                 ("mailing", dept)),
                (f"work email on my phone ({product})", f"email kantor di HP ({product})", False,
                 ("email", "phone")),
            ]  # fmt: skip
        case "account":
            options = [
                (f"{product} account", f"akun {product}", False, (product, "account")),
                (f"domain account for {city}", f"akun domain {city}", False, ("domain", "account")),
                (f"{tool} login", f"login {tool_id}", False, (tool, "login")),
            ]  # fmt: skip
        case "site":
            options = [
                (f"{host}.example.co.id", f"situs {host}.example.co.id", True, (host, "website")),
                (f"intranet page for {dept} {number}", f"halaman intranet {dept_id} {number}",
                 False, ("intranet", dept)),
                (f"customer portal {product}", f"portal pelanggan {product}", False,
                 ("portal", product)),
            ]  # fmt: skip
        case "server":
            env = rng.choice(("prod", "staging", "dev", "dr"))
            options = [
                (f"build server bld-{number:02d}", f"server build bld-{number:02d}", False,
                 ("server", "build")),
                (f"database server db-{env}-{number}", f"server database db-{env}-{number}",
                 False, ("database", "server")),
                (f"{product} server in {city}", f"server {product} di {city}", False,
                 (product, "server")),
            ]  # fmt: skip
        case _:  # phone
            model = rng.choice(PHONES)
            options = [
                (f"desk phone ext {rng.randint(1000, 9999)}",
                 f"telepon meja ext {rng.randint(1000, 9999)}", False, ("phone", "desk")),
                (f"{model} in meeting room {room}", f"{model} di ruang rapat {room}", False,
                 (model, "conference")),
                (f"{model} for {dept}", f"{model} {dept_id}", False, (model, "phone")),
            ]  # fmt: skip
    en, id_, proper, keywords = rng.choice(options)
    return Subject(kind, en, id_, proper, keywords)


def _fill(template: str, subject: str, rng: random.Random, lang: str) -> str:
    code = rng.choice(
        (
            f"0x8007{rng.randint(0, 0xFFFF):04X}",
            f"{rng.randint(400, 599)}",
            f"E{rng.randint(100, 9999)}",
        )
    )
    messages, days = (MESSAGES_EN, DAYS_EN) if lang == "en" else (MESSAGES_ID, DAYS_ID)
    dept = rng.choice(DEPARTMENTS)[0 if lang == "en" else 1]
    return template.format(
        s=subject,
        code=code,
        msg=f'"{rng.choice(messages)}"',
        pct=rng.randint(5, 95),
        day=rng.choice(days),
        dept=dept,
    )


def _named(subject: Subject, lang: str, rng: random.Random) -> str:
    if lang == "id":
        return subject.id + (
            " saya" if subject.kind in ("computer", "account") and rng.random() < 0.3 else ""
        )
    if subject.proper:
        return subject.en
    return rng.choice(("the ", "the ", "our ", "my ")) + subject.en


def make_article(index: int, rng: random.Random, invented: Sequence[str]) -> ArticleDoc:
    """One generated article: a subject, a problem, five symptoms and a few keywords."""
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    problem_name, topic = rng.choice(list(KINDS[kind].items()))
    problem, subject = PROBLEMS[problem_name], make_subject(kind, rng, invented)
    lang = "id" if rng.random() < INDONESIAN_SHARE else "en"
    clauses = problem.en if lang == "en" else problem.id
    frames = FRAMES_EN if lang == "en" else FRAMES_ID
    symptoms = tuple(
        _fill(rng.choice(frames).replace("{c}", clause), _named(subject, lang, rng), rng, lang)
        for clause in rng.sample(clauses, 5)
    )
    bare = subject.en if lang == "en" else subject.id
    title = _fill(problem.title_en if lang == "en" else problem.title_id, bare, rng, lang)
    own = problem.keywords_en if lang == "en" else problem.keywords_id
    pool = list(dict.fromkeys((*subject.keywords, *own)))
    keywords = tuple(rng.sample(pool, min(len(pool), rng.randint(3, 5))))
    body = f"1. Restart {bare}.\n2. If that does not help, choose Not solved."
    return ArticleDoc(
        id=f"gen-{index:06d}",
        lang=lang,
        title=title[0].upper() + title[1:],
        topic=topic,
        symptoms=symptoms,
        body=body,
        keywords=keywords,
        tier=rng.choice((1, 2, 2, 3)),
    )


def generate_articles(count: int, seed: int) -> list[ArticleDoc]:
    """``count`` distinct, deterministic articles for ``seed`` (a prefix of any larger KB)."""
    rng = random.Random(seed)
    invented = product_names(random.Random(f"names-{seed}"))
    return [make_article(index, rng, invented) for index in range(count)]


# --- queries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A query and the article it was made from (None: off-topic, no article should fit)."""

    text: str
    source: str | None


def _typo(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(word) - 1)
    match rng.randrange(4):
        case 0:
            return word[:at] + word[at + 1] + word[at] + word[at + 2 :]  # swap two letters
        case 1:
            return word[:at] + word[at + 1 :]  # drop a letter
        case 2:
            return word[:at] + word[at] + word[at:]  # double a letter
        case _:
            return word[:at] + rng.choice("aeiourstnl") + word[at + 1 :]  # wrong letter


def perturb(text: str, lang: str, rng: random.Random) -> str:
    """Shuffle, misspell, drop and pad words the way people type into a chat."""
    words = text.split()
    for change in rng.sample(("shuffle", "typo", "drop", "filler"), rng.randint(1, 3)):
        if change == "shuffle":
            rng.shuffle(words)
        elif change == "typo" and (long := [i for i, w in enumerate(words) if len(w) >= 5]):
            at = rng.choice(long)
            words[at] = _typo(words[at], rng)
        elif change == "drop" and len(words) > 3:
            for _ in range(rng.randint(1, 2)):
                words.pop(rng.randrange(len(words)))
        elif change == "filler":
            filler = rng.choice(FILLERS_EN if lang == "en" else FILLERS_ID).split()
            words = [*filler, *words] if rng.random() < 0.5 else [*words, *filler]
    return " ".join(words)


def generate_queries(docs: Sequence[ArticleDoc], count: int, seed: int) -> list[Query]:
    """``count`` queries: perturbed symptoms of random articles, and some off-topic ones."""
    rng = random.Random(f"queries-{seed}-{len(docs)}")
    queries: list[Query] = []
    for _ in range(count):
        if rng.random() < OFF_TOPIC_SHARE:
            queries.append(Query(rng.choice(OFF_TOPIC), None))
            continue
        doc = rng.choice(docs)
        queries.append(Query(perturb(rng.choice(doc.symptoms), doc.lang, rng), doc.id))
    return queries


# --- measuring one size, in a child process -----------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes there, KiB here


def source_fingerprint() -> str:
    """A short hash of the ``knowledge`` sources this process loaded, to tell versions apart."""
    package = Path(sys.modules[Matcher.__module__].__file__ or ".").parent
    digest = hashlib.sha256()
    for path in sorted((*package.glob("*.py"), *package.glob("data/*.yaml"))):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def vocabulary(docs: Sequence[ArticleDoc]) -> tuple[int, int]:
    """Distinct words (letters only) and distinct tokens (with codes and numbers) in the KB."""
    words: set[str] = set()
    tokens: set[str] = set()
    for doc in docs:
        for text in (doc.title, *doc.symptoms, *doc.keywords):
            tokens.update(text.lower().split())
            words.update(LETTERS.findall(text.lower()))
    return len(words), len(tokens)


def timed(call: Callable[[str], T], asked: Sequence[Query], budget_s: float) -> list[tuple[int, T]]:
    """Nanoseconds and result of ``call`` per query, after a warm-up; stops at the budget."""
    for query in asked[:WARM_UP]:
        call(query.text)
    deadline = time.perf_counter() + budget_s
    timings: list[tuple[int, T]] = []
    for query in asked:
        started = time.perf_counter_ns()
        result = call(query.text)
        timings.append((time.perf_counter_ns() - started, result))
        if time.perf_counter() > deadline:
            break
    return timings


def measure(
    size: int, *, seed: int, queries: int, brute_queries: int, budget_s: float
) -> dict[str, Any]:
    """Build, query and brute-force one generated KB; everything the parent prints."""
    fingerprint = source_fingerprint()  # first: the sources may change while this runs
    if size == 0:  # the empty child: imports only
        return {"size": 0, "rss_mb": peak_rss_mb(), "fingerprint": fingerprint}
    docs = generate_articles(size, seed)
    asked = generate_queries(docs, queries, seed)
    rss_kb_mb = peak_rss_mb()  # the generated articles and queries, before any index
    builds: list[float] = []
    matcher: Matcher | None = None
    for _ in range(BUILDS_UP_TO_10K if size <= 10_000 else 1):
        matcher = None  # drop the previous index first, so two never coexist
        gc.collect()
        started = time.perf_counter_ns()
        matcher = Matcher(docs)
        builds.append((time.perf_counter_ns() - started) / 1e9)
    assert matcher is not None
    garda = timed(lambda text: matcher.match(text, top=3), asked, budget_s)
    rss_mb = peak_rss_mb()  # Garda's peak: KB + index + queries, before brute force runs

    symptoms = [symptom for doc in docs for symptom in doc.symptoms]
    owners = [doc.id for doc in docs for _ in doc.symptoms]
    brute = timed(lambda text: brute_top3(text, symptoms), asked[:brute_queries], budget_s)
    words, tokens = vocabulary(docs)
    return {
        "size": size,
        "fingerprint": fingerprint,
        "words": words,
        "tokens": tokens,
        "symptoms": len(symptoms),
        "indonesian": sum(doc.lang == "id" for doc in docs) / size,
        "builds_s": builds,
        "rss_kb_mb": rss_kb_mb,
        "rss_mb": rss_mb,
        "rss_after_brute_mb": peak_rss_mb(),
        "asked": len(asked),
        "on_topic": [query.source is not None for query in asked],
        "garda_ns": [ns for ns, _ in garda],
        "brute_ns": [ns for ns, _ in brute],
        "garda_hits": [
            query.source in {m.article for m in result.matches}
            for query, (_, result) in zip(asked, garda, strict=False)
        ],
        "brute_hits": [
            query.source in {owners[index] for _, _, index in found}
            for query, (_, found) in zip(asked, brute, strict=False)
        ],
    }


def brute_top3(query: str, symptoms: list[str]) -> list[tuple[str, float, int]]:
    """The baseline: score every symptom with rapidfuzz, keep the best three."""
    found: list[tuple[str, float, int]] = process.extract(
        query, symptoms, scorer=fuzz.token_set_ratio, processor=utils.default_process, limit=3
    )
    return found


# --- the parent: run each size in a child and print the tables ----------------------------------


def percentile(values_ns: Sequence[int], share: float) -> float:
    """Nearest-rank percentile of nanosecond timings, in milliseconds."""
    ordered = sorted(values_ns)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)] / 1e6


def brute_count(size: int, args: argparse.Namespace) -> int:
    """Queries timed for brute force: all of them, except at 100k+ where each takes ~1 s."""
    count: int = args.queries if size < 100_000 else min(args.queries, args.brute_queries)
    return count


def run_child(size: int, args: argparse.Namespace) -> dict[str, Any] | str:
    """Measure one size in a fresh interpreter; the figures, or why there are none."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(size),
        "--queries",
        str(args.queries),
        "--seed",
        str(args.seed),
        "--brute-queries",
        str(brute_count(size, args)),
        "--budget",
        str(args.budget),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {args.timeout:g} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"child failed ({done.returncode}): {last}"
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


HEADER = (
    f"{'articles':>9} {'build s':>8} {'RSS MB':>7} {'garda p50':>10} {'garda p99':>10} "
    f"{'brute p50':>10} {'brute p99':>10} {'p99 ratio':>10}  targets"
)
DETAIL_HEADER = (
    f"{'articles':>9} {'symptoms':>9} {'words':>6} {'tokens':>7} {'id':>4} {'queries':>7} "
    f"{'garda':>6} {'brute':>6} {'KB MB':>6} {'end MB':>7} {'garda@3':>8} {'brute@3':>8}  builds s"
)


def verdicts(size: int, build_s: float, rss_mb: float, p99: float, ratio: float) -> str:
    """PASS/FAIL against the issue's targets for this size ("-" where it sets none)."""

    def check(name: str, ok: bool) -> str:
        return f"{name} {'PASS' if ok else 'FAIL'}"

    if size == 10_000:
        return ", ".join(
            (
                check(f"p99<={TARGET_P99_MS:g}ms", p99 <= TARGET_P99_MS),
                check(f"ratio<={TARGET_RATIO:g}", ratio <= TARGET_RATIO),
            )
        )
    if size == 100_000:
        return ", ".join(
            (
                check(f"build<={TARGET_BUILD_S:g}s", build_s <= TARGET_BUILD_S),
                check(f"RSS<={TARGET_RSS_MB:g}MB", rss_mb <= TARGET_RSS_MB),
            )
        )
    return "-"


def table_row(figures: dict[str, Any]) -> str:
    """One line of the main table; ``*`` marks a size where fewer queries were timed."""
    size, rss_mb = figures["size"], figures["rss_mb"]
    build_s = statistics.median(figures["builds_s"])
    garda, brute = figures["garda_ns"], figures["brute_ns"]
    garda_p99 = percentile(garda, 99)
    # The ratio compares the same queries: brute force may have timed only the first few.
    same = min(len(garda), len(brute))
    ratio = percentile(garda[:same], 99) / max(percentile(brute[:same], 99), 1e-9)
    marker = "*" if min(len(garda), len(brute)) < figures["asked"] else " "
    return (
        f"{size:>8,}{marker} {build_s:>8.3f} {rss_mb:>7.1f} {percentile(garda, 50):>10.3f} "
        f"{garda_p99:>10.3f} {percentile(brute, 50):>10.3f} {percentile(brute, 99):>10.3f} "
        f"{ratio:>10.3f}  {verdicts(size, build_s, rss_mb, garda_p99, ratio)}"
    )


def detail_row(figures: dict[str, Any]) -> str:
    """One line of the second table: what was measured, and whether the answers were right."""
    on_topic = figures["on_topic"]
    builds = "/".join(f"{b:.3f}" for b in figures["builds_s"])
    return (
        f"{figures['size']:>9,} {figures['symptoms']:>9,} {figures['words']:>6,} "
        f"{figures['tokens']:>7,} {figures['indonesian']:>4.0%} {figures['asked']:>7} "
        f"{len(figures['garda_ns']):>6} {len(figures['brute_ns']):>6} "
        f"{figures['rss_kb_mb']:>6.1f} {figures['rss_after_brute_mb']:>7.1f} "
        f"{hit_rate(figures['garda_hits'], on_topic):>8.0%} "
        f"{hit_rate(figures['brute_hits'], on_topic):>8.0%}  {builds}"
    )


def hit_rate(hits: Sequence[bool], on_topic: Sequence[bool]) -> float:
    """Share of the timed on-topic queries whose source article was in the top three."""
    relevant = [hit for hit, topical in zip(hits, on_topic, strict=False) if topical]
    return sum(relevant) / max(1, len(relevant))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="comma-separated KB sizes in articles (default: %(default)s)",
    )
    parser.add_argument(
        "--queries", type=int, default=300, help="queries per size (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default: %(default)s)")
    parser.add_argument(
        "--brute-queries",
        type=int,
        default=50,
        help="brute-force queries at 100k articles and more, where each takes "
        "about a second (default: %(default)s)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=120,
        help="seconds of querying per matcher and size before the rest of the "
        "queries are skipped (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=480,
        help="seconds one size's child may take in all (default: %(default)s)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.size_list = [int(size.replace("_", "")) for size in args.sizes.split(",") if size]
    return args


def print_preamble(args: argparse.Namespace, baseline: dict[str, Any] | str) -> None:
    """What is being compared, on what."""
    empty = f"{baseline['rss_mb']:.1f} MB" if isinstance(baseline, dict) else baseline
    print(
        f"Garda matcher benchmark: seed {args.seed}, {args.queries} queries per size "
        f"(brute force: at most {args.brute_queries} at 100k), Python "
        f"{platform.python_version()} on {platform.machine()}"
    )
    print(f"Peak RSS of an empty child (imports only): {empty}")
    if isinstance(baseline, dict):
        print(f"Matcher measured: knowledge/ sources {baseline['fingerprint']} (sha256 prefix)")
    print(
        "Brute force = rapidfuzz.process.extract(query, every symptom, "
        "scorer=fuzz.token_set_ratio, processor=default_process, limit=3)"
    )
    print()


def print_notes(results: Sequence[dict[str, Any]]) -> None:
    """How to read the main table, and the second table of what was measured."""
    notes = [
        "Times: ms per query, p50/p99 by nearest rank, after 5 untimed warm-up queries. build s: "
        f"median of {BUILDS_UP_TO_10K} builds up to 10k, one at 100k. RSS MB: peak after "
        "Garda's builds and queries, before brute force runs. p99 ratio: garda p99 / brute p99 "
        "over the same queries.",
        f"Targets: at 10k, p99 <= {TARGET_P99_MS:g} ms and ratio <= {TARGET_RATIO:g}; at 100k, "
        f"build <= {TARGET_BUILD_S:g} s and RSS <= {TARGET_RSS_MB:g} MB.",
    ]
    if any(min(len(r["garda_ns"]), len(r["brute_ns"])) < r["asked"] for r in results):
        notes.append(
            "* fewer queries timed than asked: brute force is capped at 100k (--brute-queries) "
            "and every loop stops after --budget seconds; see queries / garda / brute below."
        )
    print()
    print("\n".join(textwrap.fill(note, width=100) for note in notes))
    print()
    print(DETAIL_HEADER)
    for figures in results:
        print(detail_row(figures))
    legend = (
        "words: distinct words (letters only) in titles, symptoms and keywords; tokens: also "
        "numbers, codes and host names; id: share of Indonesian articles; queries: asked (10% "
        "off-topic); garda / brute: queries timed; KB MB: peak RSS once the articles are "
        "generated, before any index; end MB: peak RSS after brute force; garda@3 / brute@3: "
        "timed on-topic queries whose source article is in the top 3 (a sanity check that speed "
        "is not bought by finding nothing)."
    )
    print(textwrap.fill(legend, width=100))


def main(argv: Sequence[str] | None = None) -> None:
    """Run every size in its own child and print the tables."""
    args = parse_args(argv)
    if args.child is not None:
        figures = measure(
            args.child,
            seed=args.seed,
            queries=args.queries,
            brute_queries=args.brute_queries,
            budget_s=args.budget,
        )
        print(json.dumps(figures))  # the one line the parent reads
        return
    baseline = run_child(0, args)
    print_preamble(args, baseline)
    print(HEADER)
    print("-" * len(HEADER))
    results: list[dict[str, Any]] = []
    for size in args.size_list:
        outcome = run_child(size, args)
        if isinstance(outcome, str):
            print(f"{size:>8,}  {outcome}", flush=True)
            continue
        results.append(outcome)
        print(table_row(outcome), flush=True)
        if isinstance(baseline, dict) and outcome["fingerprint"] != baseline["fingerprint"]:
            print(f"{'':>9} ^ knowledge/ sources {outcome['fingerprint']}: changed during the run")
    print_notes(results)


if __name__ == "__main__":
    main()
