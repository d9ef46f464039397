"""How big each scenario is: the full benchmark, or the quick smoke check CI runs."""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    name: str
    quick: bool
    subscribers: int  # sockets on the one fan-out channel
    seconds: float  # how long sustained scenarios send
    drain: float  # how long deliveries may still arrive after sending stopped
    single_messages: int  # "one message every N s"
    single_interval: float
    chats: int  # "100 chats x 10 subscribers"
    chat_size: int
    chat_rate: float  # messages a second per chat
    storm_clients: int
    storm_messages: int
    slow_others: int  # readers on the slow consumer's channel besides it
    slow_rate: float  # messages a second while it does not read
    slow_pause: float  # how long it does not read
    slow_content: int  # characters per message there (fills its buffers sooner)
    queue_size: int | None  # SUBSCRIBER_QUEUE_SIZE for the run (None: the default)
    history_messages: int
    history_clients: tuple[int, ...]
    request_seconds: float  # closed-loop HTTP scenarios, per client count
    big_messages: int  # the long chat's length
    send_clients: int
    memory_sockets: int
    memory_cycles: int
    sql_pages: int
    processes: int  # load generator processes per scenario

    @property
    def users(self) -> int:
        readers = max(
            self.subscribers,
            self.storm_clients,
            self.memory_sockets,
            self.chats * self.chat_size,
            self.slow_others + 1,
        )
        return 1 + readers + self.send_clients  # user 0 owns the space and sends


FULL = Profile(
    name="full",
    quick=False,
    subscribers=1000,
    seconds=20,
    drain=30,
    single_messages=5,
    single_interval=4,
    chats=100,
    chat_size=10,
    chat_rate=1,
    storm_clients=1000,
    storm_messages=100,
    slow_others=50,
    slow_rate=50,
    slow_pause=60,
    slow_content=1000,
    queue_size=None,
    history_messages=1000,
    history_clients=(1, 50),
    request_seconds=15,
    big_messages=1_000_000,
    send_clients=50,
    memory_sockets=1000,
    memory_cycles=3,
    sql_pages=20,
    processes=4,
)

# Tiny sizes: every path runs, nothing is timed against a target. The slow consumer needs
# its subscription's queue to fill within seconds, hence the small SUBSCRIBER_QUEUE_SIZE.
QUICK = Profile(
    name="quick",
    quick=True,
    subscribers=20,
    seconds=2,
    drain=15,
    single_messages=2,
    single_interval=1,
    chats=4,
    chat_size=5,
    chat_rate=2,
    storm_clients=20,
    storm_messages=10,
    slow_others=5,
    slow_rate=40,
    slow_pause=6,
    slow_content=3900,
    queue_size=10,
    history_messages=200,
    history_clients=(1, 5),
    request_seconds=1,
    big_messages=1000,
    send_clients=5,
    memory_sockets=20,
    memory_cycles=2,
    sql_pages=5,
    processes=2,
)


def with_seconds(profile: Profile, seconds: float | None) -> Profile:
    return profile if seconds is None else replace(profile, seconds=seconds)
