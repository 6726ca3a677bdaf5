"""Level I intake: greet, listen to the problem, match it, show the answer, ask if it helped."""

from __future__ import annotations

from handlers import actions, gaps, outcomes
from handlers.commands import show_help
from handlers.facts import start_escalation
from handlers.router import Routes
from handlers.states import State
from handlers.text import has_words
from handlers.tickets import answer_on_ticket
from handlers.turn import Option, Turn
from knowledge.gaps import NOT_SOLVED
from knowledge.matching import Decision, MatchResult
from models.tables import RequestOutcome

routes = Routes()

NONE_OF_THESE = "none"
ARTICLE_PREFIX = "article:"


@routes.state(State.IDLE, State.DESCRIBE)
async def describe_problem(turn: Turn) -> State:
    """Take the user's description of the problem and find what fits it."""
    if turn.state is State.IDLE and await answer_on_ticket(turn):
        return State.IDLE  # words for the agent on their ticket, passed on
    if not turn.text or not has_words(turn.text):
        turn.say("intake.no_words" if turn.text else "intake.empty")
        return State.DESCRIBE
    result = turn.kb.match(turn.text)
    turn.note("decision", result.small_talk or result.decision.value)
    if result.small_talk == "greeting":
        turn.say("intake.greeting", name=turn.person.display_name)
        return State.DESCRIBE
    if result.small_talk == "help":  # "what can you do?": the /help answer
        await show_help(turn)
        return turn.state
    if result.small_talk is not None:  # thanks, goodbye, off_topic: polite, never an article
        turn.say(f"smalltalk.{result.small_talk}")
        return turn.reset()
    if turn.state is State.IDLE:
        turn.data = {}
    return match_problem(turn, result)


def match_problem(turn: Turn, result: MatchResult) -> State:
    """Act on how the description matched: show, ask "did you mean", or escalate."""
    turn.data.setdefault("problem", []).append(turn.text)
    turn.data.setdefault("tried", []).extend(
        {"article": match.article, "score": match.score} for match in result.matches
    )
    outcomes.matched(turn, result)
    gaps.note_match(turn, result)
    if result.decision is Decision.ANSWER and result.best is not None:
        return show_article(turn, result.best.article)
    if result.decision is Decision.CLARIFY:
        options = []
        for match in result.matches:
            doc = turn.kb.article(match.article, turn.lang)
            if doc is not None:
                options.append(Option(ARTICLE_PREFIX + doc.id, doc.title))
        options.append(turn.option(NONE_OF_THESE, "choice.none_of_these"))
        turn.ask(turn.t("intake.did_you_mean"), options)
        return State.CLARIFY
    turn.say("intake.no_match")
    return start_escalation(turn, article_id=None)


@routes.state(State.CLARIFY)
async def clarify(turn: Turn) -> State | None:
    """The user picked one of the "did you mean" articles, or none, or rephrased."""
    chosen = turn.chosen()
    if chosen is None:
        if turn.rejected == "unknown" and has_words(turn.text) and turn.message.choice is None:
            turn.clear_pending()
            # free text here is the problem, said again
            return match_problem(turn, turn.kb.match(turn.text))
        turn.reprompt()
        return None
    turn.clear_pending()
    if chosen == NONE_OF_THESE:
        turn.say("intake.none_fit")
        return start_escalation(turn, article_id=None)
    return show_article(turn, chosen.removeprefix(ARTICLE_PREFIX))


def show_article(turn: Turn, article_id: str) -> State:
    """Show an article and ask whether it solved the problem."""
    doc = turn.kb.article(article_id, turn.lang)
    if doc is None:  # disabled or removed since it was offered
        turn.say("intake.article_gone")
        return start_escalation(turn, article_id=None)
    turn.data["article"] = doc.id
    outcomes.shown(turn, doc.id)
    turn.say_text(f"{doc.title}\n\n{doc.body}")
    turn.ask(
        turn.t("intake.did_it_help"),
        [
            *actions.offer(turn, doc.action),  # "Reset my password now", where it can run
            turn.option("solved", "choice.solved"),
            turn.option("not_solved", "choice.not_solved"),
            turn.option("human", "choice.human"),
        ],
    )
    return State.FEEDBACK


@routes.state(State.FEEDBACK)
async def article_feedback(turn: Turn) -> State | None:
    """Solved ends the conversation; anything else goes on towards a ticket."""
    chosen = turn.chosen()
    if chosen is None:
        turn.reprompt()
        return None
    turn.clear_pending()
    if chosen.startswith(actions.ACTION_PREFIX):
        return await actions.begin(turn, chosen.removeprefix(actions.ACTION_PREFIX))
    outcomes.heard(turn, chosen)
    if chosen == "solved":
        turn.say("intake.solved")
        await outcomes.finish(turn, RequestOutcome.SOLVED)
        return turn.reset()
    gaps.record_gap(turn, reason=NOT_SOLVED, article=turn.data.get("article"))
    turn.say("intake.not_solved" if chosen == "not_solved" else "intake.human")
    return start_escalation(turn, article_id=turn.data.get("article"))
