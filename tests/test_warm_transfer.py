"""A phone call handed to people, event by event: who is rung, who takes it, and what happens when nobody does.

Jane calls; the assistant hands her to people. Ali, Bea and Sofia are available by phone, rung
in that order while Jane waits on hold. Each test feeds the events the phones would report and
checks the state and the commands the channel must carry out. Nothing here calls anybody.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import List, Sequence

from actions.domain.policy_voice import VoiceRules
from handoff.domain.call_roster import PhonePerson
from handoff.domain.people import Role, User
from handoff.domain.transfer_records import Leg, Transfer, masked, state_in_words
from handoff.domain.warm_transfer import (
    BriefAsked, BriefPerson, CallbackTicket, CallerHungUp, CallPerson, CancelLeg, Event, HandBack, HoldCaller,
    HoldInRoom, JoinConference, LegAnswered, LegEnded, LegNotPlaced, LegPlaced, LegRang, MachineAnswered, NoteTicket,
    PersonLeft, PersonPressed, RedirectCallerToBot, RoomEnded, Step, begin, step,
)

AT = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
RULES = VoiceRules()
ALI = PhonePerson(User("ali", "Ali Khan", Role.AGENT), "+15550100101", True)
BEA = PhonePerson(User("bea", "Bea Ruiz", Role.AGENT), "+15550100102", True)
SOFIA = PhonePerson(User("sofia", "Sofia Berg", Role.SENIOR), "+15550100201", True)
NAMES = {"ali": "Ali Khan", "bea": "Bea Ruiz", "sofia": "Sofia Berg"}


@dataclass
class Call:
    """The records as a store would keep them, moved by each step; the commands each step gave."""

    transfer: Transfer
    legs: List[Leg]
    roster: List[PhonePerson] = field(default_factory=lambda: [ALI, BEA, SOFIA])
    commands: List[object] = field(default_factory=list)
    clock: datetime = AT

    def on(self, event: Event) -> Step:
        self.clock += timedelta(seconds=5)
        rung = {leg.username for leg in self.legs}
        done = step(self.transfer, self.legs, event, [p for p in self.roster if p.username not in rung], RULES, self.clock)
        if done.changed:
            assert done.transfer.version == self.transfer.version + 1
        self.transfer = done.transfer
        by_n = {leg.n: leg for leg in self.legs}
        by_n.update({leg.n: leg for leg in done.legs})
        self.legs = [by_n[n] for n in sorted(by_n)]
        self.commands = list(done.commands)
        return done

    def leg(self, n: int) -> Leg:
        return self.legs[n - 1]

    @property
    def words(self) -> str:
        return state_in_words(self.transfer, self.legs, NAMES)


def jane_calls(roster: Sequence[PhonePerson] = (ALI, BEA, SOFIA)) -> Call:
    started = begin("tr1", "CAjane", "voice:CAjane", "t1", roster, True, RULES, AT)
    call = Call(started.transfer, list(started.legs), list(roster))
    call.commands = list(started.commands)
    return call


def ali_picks_up(call: Call) -> None:
    call.on(LegPlaced(1, "CAali"))
    call.on(LegRang(1))
    call.on(LegAnswered(1))
    call.on(BriefAsked(1))


def test_jane_goes_on_hold_and_alis_phone_rings_first() -> None:
    call = jane_calls()

    assert call.transfer.state == "holding" and call.transfer.leg == 1
    assert call.commands == [JoinConference("caller", "transfer-tr1"), CallPerson("tr1", 1, "ali", "+15550100101", 20)]
    assert call.leg(1).state == "ringing" and call.leg(1).call_sid is None
    call.on(LegPlaced(1, "CAali"))
    call.on(LegRang(1))
    assert (call.transfer.state, call.leg(1).call_sid, call.words) == ("ringing", "CAali", "Ringing Ali")


def test_ali_answers_hears_the_brief_presses_1_and_is_connected_with_jane() -> None:
    call = jane_calls()
    ali_picks_up(call)
    assert call.commands == [BriefPerson(1)]
    assert (call.transfer.state, call.leg(1).state, call.words) == ("briefing", "briefing", "Ali is being briefed")

    call.on(PersonPressed(1, "1"))

    assert call.commands == [JoinConference("person", "transfer-tr1", 1)]
    assert (call.transfer.state, call.leg(1).state, call.words) == ("connected", "accepted", "Connected with Ali")


def test_the_brief_asked_for_twice_is_answered_twice_without_moving_anything() -> None:
    call = jane_calls()
    ali_picks_up(call)
    version = call.transfer.version

    again = call.on(BriefAsked(1))

    assert not again.changed and again.commands == (BriefPerson(1),) and call.transfer.version == version


def test_ali_presses_2_his_call_ends_and_beas_phone_rings() -> None:
    call = jane_calls()
    ali_picks_up(call)

    call.on(PersonPressed(1, "2"))

    assert call.leg(1).state == "declined"
    assert call.commands == [CancelLeg(1, "CAali", answered=True), CallPerson("tr1", 2, "bea", "+15550100102", 20)]
    assert (call.transfer.state, call.transfer.leg, call.leg(2).state) == ("holding", 2, "ringing")


def test_an_unknown_key_repeats_the_brief_and_silence_counts_as_no_answer() -> None:
    call = jane_calls()
    ali_picks_up(call)
    assert call.on(PersonPressed(1, "7")).commands == (BriefPerson(1),)

    call.on(PersonPressed(1, ""))

    assert call.leg(1).state == "no_answer" and call.transfer.leg == 2


def test_alis_voicemail_picks_up_it_is_hung_up_on_and_bea_is_rung() -> None:
    call = jane_calls()
    call.on(LegPlaced(1, "CAali"))
    call.on(LegAnswered(1))

    call.on(MachineAnswered(1))

    assert call.leg(1).state == "voicemail"
    assert call.commands[0] == CancelLeg(1, "CAali", answered=True)
    assert call.commands[1] == CallPerson("tr1", 2, "bea", "+15550100102", 20)


def test_no_answer_busy_and_a_failed_call_each_move_on_to_the_next_person() -> None:
    call = jane_calls()
    call.on(LegPlaced(1, "CAali"))
    call.on(LegEnded(1, "no-answer"))
    call.on(LegPlaced(2, "CAbea"))
    call.on(LegEnded(2, "busy"))
    call.on(LegNotPlaced(3, "Twilio refused the number"))

    assert [leg.state for leg in call.legs] == ["no_answer", "no_answer", "failed"]
    assert call.commands == [RedirectCallerToBot("CAjane", "transfer-tr1"), CallbackTicket("nobody_answered")]
    assert (call.transfer.state, call.transfer.outcome) == ("callback", "nobody_answered")


def test_a_late_status_of_an_earlier_leg_changes_that_leg_only() -> None:
    call = jane_calls()
    call.on(LegPlaced(1, "CAali"))
    call.on(MachineAnswered(1))  # voicemail: Bea is rung
    call.on(LegEnded(1, "completed"))  # the voicemail call's final status comes after

    assert call.leg(1).state == "voicemail" and call.transfer.leg == 2 and call.leg(2).state == "ringing"


def test_nobody_available_or_outside_opening_hours_asks_for_a_call_back_at_once() -> None:
    nobody = begin("tr2", "CAjane", "voice:CAjane", "t1", [], True, RULES, AT)
    closed = begin("tr3", "CAjane", "voice:CAjane", "t1", [ALI], False, RULES, AT)

    assert (nobody.transfer.state, nobody.transfer.outcome, nobody.legs) == ("callback", "nobody_available", ())
    assert nobody.commands == (CallbackTicket("nobody_available"),)
    assert (closed.transfer.state, closed.commands) == ("callback", (CallbackTicket("outside_opening_hours"),))


def test_the_roster_runs_out_after_the_last_person_declines_and_jane_is_promised_a_call_back() -> None:
    call = jane_calls(roster=[ALI])
    ali_picks_up(call)

    call.on(PersonPressed(1, "2"))

    assert call.transfer.state == "callback"
    assert call.commands == [CancelLeg(1, "CAali", answered=True), RedirectCallerToBot("CAjane", "transfer-tr1"),
                             CallbackTicket("nobody_answered")]


def test_jane_hangs_up_while_alis_phone_rings_it_is_cancelled_and_the_ticket_says_so() -> None:
    call = jane_calls()
    call.on(LegPlaced(1, "CAali"))
    call.on(LegRang(1))

    call.on(CallerHungUp())

    assert (call.transfer.state, call.leg(1).state) == ("caller_left", "cancelled")
    assert call.commands[0] == CancelLeg(1, "CAali", answered=False)
    assert isinstance(call.commands[1], NoteTicket) and "hung up while waiting" in call.commands[1].text
    assert call.words == "Caller hung up before anyone took the call"


def test_jane_hangs_up_before_alis_call_is_even_placed_so_it_is_cancelled_once_it_is() -> None:
    call = jane_calls()
    call.on(CallerHungUp())
    assert call.commands[0] == CancelLeg(1, None, answered=False)

    call.on(LegPlaced(1, "CAali"))

    assert call.commands == [CancelLeg(1, "CAali", answered=False)] and call.leg(1).call_sid == "CAali"


def test_jane_hangs_up_while_connected_the_call_ends_and_later_reports_change_nothing() -> None:
    call = jane_calls()
    ali_picks_up(call)
    call.on(PersonPressed(1, "1"))

    call.on(CallerHungUp())
    assert (call.transfer.state, call.leg(1).state) == ("ended", "left")
    assert not call.on(RoomEnded()).changed
    assert not call.on(PersonLeft(1, "hung_up")).changed
    assert not call.on(CallerHungUp()).changed


def test_ali_presses_star_and_jane_is_back_with_the_assistant() -> None:
    call = jane_calls()
    ali_picks_up(call)
    call.on(PersonPressed(1, "1"))

    call.on(PersonLeft(1, "star"))

    assert (call.transfer.state, call.transfer.outcome, call.leg(1).state) == ("handed_back", "person_pressed_star", "left")
    assert call.commands[0] == RedirectCallerToBot("CAjane", "transfer-tr1")
    assert call.words == "Caller back with the assistant"


def test_ali_hanging_up_his_phone_while_connected_hands_jane_back_too() -> None:
    call = jane_calls()
    ali_picks_up(call)
    call.on(PersonPressed(1, "1"))

    call.on(LegEnded(1, "completed"))

    assert (call.transfer.state, call.transfer.outcome) == ("handed_back", "person_hung_up")


def test_ali_puts_jane_on_hold_and_back_then_the_room_ends() -> None:
    call = jane_calls()
    ali_picks_up(call)
    call.on(PersonPressed(1, "1"))

    call.on(HoldCaller(on=True))
    assert call.commands == [HoldInRoom("transfer-tr1", "CAjane", True)] and call.words == "Caller on hold by Ali"
    call.on(HoldCaller(on=False))
    assert call.transfer.state == "connected"
    call.on(RoomEnded())
    assert (call.transfer.state, call.words) == ("ended", "Call ended")


def test_someone_in_the_inbox_hands_the_call_back_while_bea_is_being_briefed() -> None:
    call = jane_calls()
    call.on(LegPlaced(1, "CAali"))
    call.on(LegEnded(1, "no-answer"))
    call.on(LegPlaced(2, "CAbea"))
    call.on(BriefAsked(2))

    call.on(HandBack(by="sofia"))

    assert (call.transfer.state, call.leg(2).state) == ("handed_back", "cancelled")
    assert call.commands[:2] == [CancelLeg(2, "CAbea", answered=True), RedirectCallerToBot("CAjane", "transfer-tr1")]


def test_a_choice_from_a_leg_that_is_not_the_current_one_is_ignored() -> None:
    call = jane_calls()
    call.on(LegPlaced(1, "CAali"))
    call.on(LegEnded(1, "no-answer"))

    assert not call.on(PersonPressed(1, "1")).changed
    assert not call.on(PersonPressed(9, "1")).changed  # no such leg


def test_a_leg_shows_the_number_masked() -> None:
    assert masked("+15550100101") == "+1 ••• 0101"
    assert masked(None) == "a withheld number"
    assert jane_calls().leg(1).to_dict()["phone"] == "+1 ••• 0101"
