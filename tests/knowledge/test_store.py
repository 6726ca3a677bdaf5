"""The article store: search, edits of several languages, revisions and what changed since."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import select

from bot.app import Garda
from knowledge.revisions import article_history, changed_since, kb_version, revert_article, to_doc
from knowledge.store import article_rows, disable_article, save_edit, search_articles
from models.tables import Article, ArticleRevision


async def test_search_finds_every_language_best_first_and_nothing_for_no_words(
    garda: Garda,
) -> None:
    async with garda.sessions() as session, session.begin():
        await disable_article(session, slug="vpn-drops", author="t", source="cli")
        found = await search_articles(session, "vpn")
        password = await search_articles(session, "PASSWORD reset", limit=2)
        nothing = await search_articles(session, " ?! ")

    assert ("vpn-drops", "en") in [(row.slug, row.lang) for row in found]
    assert ("vpn-drops", "id") in [(row.slug, row.lang) for row in found]  # disabled too
    assert [row.slug for row in password] == ["password-reset", "password-reset"]
    assert nothing == []


async def test_an_edit_revises_changed_languages_and_marks_the_others_outdated(
    garda: Garda,
) -> None:
    async with garda.sessions() as session, session.begin():
        en, indonesian = sorted(await article_rows(session, "vpn-drops"), key=lambda r: r.lang)
        version = await kb_version(session)
        same = await save_edit(session, [to_doc(en)], author="chat:sari", source="chat")
        assert await kb_version(session) == version  # nothing changed, nothing recorded
        assert not indonesian.outdated

        edited = replace(to_doc(en), title="VPN keeps dropping")
        (row,) = await save_edit(session, [edited], author="chat:sari", source="chat")
        changed = await changed_since(session, version)

    assert same == [en]
    assert (row.title, row.revision, row.updated_by, row.outdated) == (
        "VPN keeps dropping",
        2,
        "chat:sari",
        False,
    )
    assert indonesian.outdated and indonesian.revision == 1
    assert [(a.slug, a.lang) for a in changed] == [("vpn-drops", "en")]


async def test_the_fields_of_the_whole_article_follow_into_a_language_left_out(
    garda: Garda,
) -> None:
    async with garda.sessions() as session, session.begin():
        en, _ = sorted(await article_rows(session, "vpn-drops"), key=lambda r: r.lang)
        moved = replace(to_doc(en), topic="network_drive", tier=3, body="Try the cable first.")
        await save_edit(session, [moved], author="chat:sari", source="chat")
        _, indonesian = sorted(await article_rows(session, "vpn-drops"), key=lambda r: r.lang)
        after = await article_history(session, "vpn-drops", lang="id")

    # Topic and tier are the article's: the Indonesian follows (a revision), so exported files
    # still agree; its words are its own and only marked out of date.
    assert (indonesian.topic, indonesian.tier, indonesian.outdated) == ("network_drive", 3, True)
    assert indonesian.body != "Try the cable first."
    assert (after[0].revision, after[0].changed) == (2, ("topic", "tier"))


async def test_history_reads_old_snapshots_as_live_and_revert_restores_the_state(
    garda: Garda,
) -> None:
    async with garda.sessions() as session, session.begin():
        # A snapshot from before "enabled" and "draft" were recorded.
        first = (
            await session.exec(
                select(ArticleRevision).where(
                    ArticleRevision.slug == "vpn-drops", ArticleRevision.lang == "en"
                )
            )
        ).one()
        first.snapshot = {k: v for k, v in first.snapshot.items() if k not in ("enabled", "draft")}
        session.add(first)
        await disable_article(session, slug="vpn-drops", author="t", source="cli")
        history = await article_history(session, "vpn-drops", lang="en")
        row = await revert_article(
            session, slug="vpn-drops", lang="en", revision=1, author="t", source="revert"
        )
        rows = list(await session.exec(select(Article).where(Article.slug == "vpn-drops")))

    assert (history[0].revision, history[0].changed) == (2, ("enabled",))
    assert history[1].snapshot["enabled"] is True and "title" in history[1].changed
    assert (row.enabled, row.draft, row.revision) == (True, False, 3)
    assert {(r.lang, r.enabled) for r in rows} == {("en", True), ("id", False)}
