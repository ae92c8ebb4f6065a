"""Patient details through the real Slack server: what the person is told, what is logged, what is let through.

The refusal names the kind and roughly where it is, never the text; no log
line at any level carries it; the answer form says up front that names count;
the request to talk keeps the person's own phone number and e-mail address
and still refuses a patient's details.
"""

from __future__ import annotations

import json
import logging

from harness import SlackApp
from sqlalchemy import func, select
from test_slack_flow import STAFF, answer, start_debrief, texts
from test_slack_followups_support import NURSE, ask_to_talk, check_in

from adapters.slack.ids import Action, Callback, TalkBlock, question_block
from bot.identifiers import PATIENT_DETAILS_HINT
from bot.models import Answer, AnswerReceipt, SupportRequest

NAME, POSTCODE = "Mrs Kowalczyk", "SW1A 1AA"
LONG_NOTE = (
    f"{NAME} kept asking for her daughter and nobody could get through, which was awful for her and for us; "
    f"the crew had written the wrong address on the handover sheet, {POSTCODE}"
)


async def count(slack_app: SlackApp, model: type) -> int:
    async with slack_app.core.database.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_the_refusal_names_the_kind_and_where_and_no_log_line_carries_the_identifier(slack_app: SlackApp, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, dependencies' included
    script = await start_debrief(slack_app)
    reply, modal = await answer(slack_app, script, STAFF[0], note=LONG_NOTE, share=True)

    assert PATIENT_DETAILS_HINT in texts(modal["blocks"])
    body = reply.json()
    assert body["response_action"] == "errors"
    message = body["errors"][question_block("team_note")]
    assert message == "Looks like a patient's name near the start and a postcode near the end. Please remove patient details."
    for secret in (NAME, "Kowalczyk", POSTCODE, "SW1A"):
        assert secret not in json.dumps(body)
        assert secret not in caplog.text
        assert all(secret not in json.dumps(call) for call in slack_app.fake.calls)
    assert await count(slack_app, Answer) == 0 and await count(slack_app, AnswerReceipt) == 0


async def test_asking_to_talk_keeps_their_own_number_and_e_mail_but_not_a_patients_details(slack_app: SlackApp) -> None:
    fake, slack = slack_app.fake, slack_app.slack
    _, message = await check_in(slack_app)

    await slack.click(message, Action.TALK, user_id=NURSE)
    await fake.wait_for("views.open")
    form = fake.last_view(Callback.TALK)
    refused = await slack.submit(form, {TalkBlock.PREFERRED_TIME: "after 6pm, it's about Mr T Osei"}, user_id=NURSE)
    assert refused.json() == {
        "response_action": "errors",
        "errors": {TalkBlock.PREFERRED_TIME: "Looks like a patient's name. Please remove patient details."},
    }
    refused = await slack.submit(form, {TalkBlock.PREFERRED_TIME: "ring me, NHS 943 476 5919"}, user_id=NURSE)
    assert "NHS number" in refused.json()["errors"][TalkBlock.PREFERRED_TIME]
    assert await count(slack_app, SupportRequest) == 0

    own = "after 6pm on 07700 900123 or jo.bloggs@nhs.net"
    assert "usually reply within 4 hours" in await ask_to_talk(slack_app, message, NURSE, own)
    async with slack_app.core.database.session() as session:
        [stored] = (await session.execute(select(SupportRequest.preferred_time))).scalars().all()
    assert stored == own
