"""Tables of the chat channels (migration 0005).

On their own metadata, ``ChannelBase``, beside the case database's ``Base``. Nothing here
identifies a student by itself: update keys are Telegram's update ids, chat-bound keys are
hashed, and the outbox keeps a message only until it is delivered (or given up on).

* ``channel_updates``: what a replica has claimed or finished, so that an update Telegram
  sends twice (retries, several replicas behind a load balancer) is processed once.
* ``channel_callbacks``: the payloads behind inline-keyboard buttons. Telegram allows 64
  bytes of ``callback_data``; the button carries a short key, and only keys this table
  knows are accepted (a modified client cannot invent intents).
* ``channel_outbox``: replies that could not be delivered after the retries, redelivered in
  the background, so a failure to send never loses what the assistant answered.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, Index, Integer, String, Text
from sqlalchemy.orm import declarative_base

ChannelBase = declarative_base()


class ChannelUpdate(ChannelBase):
    __tablename__ = "channel_updates"

    key = Column(String(96), primary_key=True)
    state = Column(String(12), nullable=False)  # processing | done
    attempts = Column(Integer, nullable=False, default=1)
    claimed_at = Column(Float, nullable=False)  # epoch seconds (portable across dialects)
    done_at = Column(Float, nullable=True)

    __table_args__ = (Index("ix_channel_updates_claimed_at", "claimed_at"),)


class ChannelCallback(ChannelBase):
    __tablename__ = "channel_callbacks"

    key = Column(String(32), primary_key=True)
    payload = Column(Text, nullable=False)
    created_at = Column(Float, nullable=False)


class ChannelOutbox(ChannelBase):
    __tablename__ = "channel_outbox"

    id = Column(Integer, primary_key=True)
    channel = Column(String(16), nullable=False)
    sender_id = Column(String(128), nullable=False)
    address = Column(String(64), nullable=False)  # where to deliver (Telegram chat id)
    message = Column(JSON, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(Float, nullable=False)
    next_attempt_at = Column(Float, nullable=False)

    __table_args__ = (
        Index("ix_channel_outbox_due", "channel", "next_attempt_at"),
        Index("ix_channel_outbox_sender", "sender_id"),
    )
