"""A small deterministic random source (splitmix64) seeded from the log entry.

The state machine must not use the `random` module: its state is per process. Every replica
that applies the same entry draws the same numbers from this generator.
"""

_MASK = (1 << 64) - 1


class Prng:
    __slots__ = ("state",)

    def __init__(self, seed: int):
        self.state = seed & _MASK

    def next64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def below(self, bound: int) -> int:
        """A uniform integer in [0, bound)."""
        assert bound > 0
        limit = _MASK - (_MASK % bound)  # reject the biased tail
        while True:
            value = self.next64()
            if value < limit:
                return value % bound

    def random(self) -> float:
        return (self.next64() >> 11) / float(1 << 53)

    def sample(self, population: list, count: int) -> list:
        """`count` distinct items from population (count <= len), in draw order."""
        pool = list(population)
        assert 0 <= count <= len(pool)
        for index in range(count):
            swap = index + self.below(len(pool) - index)
            pool[index], pool[swap] = pool[swap], pool[index]
        return pool[:count]
