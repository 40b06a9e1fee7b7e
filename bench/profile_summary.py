"""Summarise py-spy's collapsed stacks (`--format raw`): where a process held the GIL.

    .venv/bin/python bench/profile_summary.py profile.txt [--top 40] [--match chat/]

Prints each function's share of the samples, inclusive of what it called, then the functions that
were on top of the stack themselves. bench/chat_concurrency.py --profile writes such a file.
"""

import argparse
from collections import Counter


def frame_name(frame: str) -> str:
    name, _, where = frame.partition(" (")
    return f"{name} ({where.split(':')[0]})" if where else name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="only functions whose file contains this")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(args.path) as stacks:
        for line in stacks:
            stack, _, count = line.rstrip().rpartition(" ")
            samples = int(count)
            total += samples
            frames = [frame_name(f) for f in stack.split(";")]
            for name in set(frames):
                inclusive[name] += samples
            own[frames[-1]] += samples
    print(f"{total} samples")
    print("-- inclusive")
    for name, samples in [(n, c) for n, c in inclusive.most_common() if args.match in n][: args.top]:
        print(f"{samples / total * 100:5.1f}%  {name}")
    print("-- self")
    for name, samples in own.most_common(args.top // 2):
        print(f"{samples / total * 100:5.1f}%  {name}")


if __name__ == "__main__":
    main()
