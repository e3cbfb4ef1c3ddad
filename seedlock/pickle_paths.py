"""Where in a pickled object an opcode sits: ``estimators_[3].tree_.values``.

The pickle is read with ``pickletools`` and never unpickled (a reference pickle is data, not code
to run). Its opcodes are replayed on a stack of placeholders that remember which opcodes built
them; dicts, lists, tuples and objects' states remember their items. The path of an opcode is
then the chain of keys and indices whose items' opcode ranges contain it.
"""

import pickletools
from dataclasses import dataclass, field

MARK = pickletools.markobject
# Opcodes that add to the container below them on the stack (and leave it there).
EXTENDS = {"SETITEM", "SETITEMS", "APPEND", "APPENDS", "ADDITEMS", "BUILD"}
MEMO_PUTS = {"MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"}
MEMO_GETS = {"GET", "BINGET", "LONG_BINGET"}
CONTAINERS = {
    "EMPTY_DICT": "dict",
    "DICT": "dict",
    "EMPTY_LIST": "list",
    "LIST": "list",
    "TUPLE": "tuple",
    "TUPLE1": "tuple",
    "TUPLE2": "tuple",
    "TUPLE3": "tuple",
}


@dataclass(eq=False)
class Node:
    """A value on the replayed stack: the opcodes that built it, and its items."""

    start: int
    end: int
    kind: str = "other"
    text: str | None = None  # the value of a string
    items: list[tuple[object, "Node"]] = field(default_factory=list)

    def cover(self, index: int) -> None:
        self.start, self.end = min(self.start, index), max(self.end, index)


class _Mark:
    pass


def _pairs(nodes: list[Node]) -> list[tuple[object, Node]]:
    return [
        (key.text if key.text is not None else f"<{key.kind}>", value)
        for key, value in zip(nodes[0::2], nodes[1::2], strict=False)
    ]


def operations(data: bytes):
    """(opcode, argument, byte position) of a pickle, without its FRAME opcodes: they hold only
    the length of the bytes that follow, and any change of length changes them."""
    return (
        (opcode, argument, position)
        for opcode, argument, position in pickletools.genops(data)
        if opcode.name != "FRAME"
    )


def replay(data: bytes) -> Node | None:
    """The pickled object as a tree of nodes, or None where the pickle cannot be read."""
    stack: list = []
    memo: dict[int, Node] = {}
    try:
        for index, (opcode, argument, _) in enumerate(operations(data)):
            name = opcode.name
            if name == "STOP":
                return stack[-1] if isinstance(stack[-1], Node) else None
            if name in MEMO_PUTS:
                key = len(memo) if name == "MEMOIZE" else int(argument)
                memo[key] = stack[-1]
                continue
            if name in MEMO_GETS:
                stack.append(memo[int(argument)])
                continue
            before = opcode.stack_before
            popped: list[Node] = []
            if MARK in before:
                while not isinstance(stack[-1], _Mark):
                    popped.insert(0, stack.pop())
                stack.pop()
                below = [stack.pop() for _ in range(before.index(MARK))][::-1]
            else:
                count = len(before)
                below, popped = [], (stack[-count:] if count else [])
                del stack[len(stack) - count :]
            if name in EXTENDS:
                container = below[0] if below else popped.pop(0)
                if name in ("SETITEM", "SETITEMS"):
                    container.items.extend(_pairs(popped))
                elif name == "BUILD":
                    # The state of an object: its attributes (a dict, or a (dict, slots) tuple).
                    state = popped[0]
                    parts = [state] if state.kind == "dict" else [n for _, n in state.items]
                    for part in parts:
                        if part.kind == "dict":
                            container.items.extend(part.items)
                    container.cover(state.start)
                else:
                    base = len(container.items)
                    container.items.extend((base + i, node) for i, node in enumerate(popped))
                container.cover(index)
                stack.append(container)
                continue
            for item in opcode.stack_after:
                if item is MARK:
                    stack.append(_Mark())
                    continue
                inputs = below + popped
                node = Node(min([n.start for n in inputs] + [index]), index)
                node.kind = CONTAINERS.get(name, "other")
                if "UNICODE" in name or name in ("STRING", "BINSTRING", "SHORT_BINSTRING"):
                    node.kind, node.text = "str", str(argument)
                elif node.kind == "dict":
                    node.items = _pairs(popped)
                elif node.kind in ("list", "tuple"):
                    node.items = list(enumerate(popped))
                stack.append(node)
    except Exception:  # truncated, corrupt or unusual: no path, only the opcode
        return None
    return stack[-1] if stack and isinstance(stack[-1], Node) else None


def path_to(root: Node | None, opcode_index: int) -> str:
    """The keys and indices from the pickled object down to the value that ``opcode_index``
    helps build, e.g. ``estimators_[3].tree_.values``; empty at the top level."""
    parts = []
    node, seen = root, set()
    while node is not None:
        seen.add(id(node))  # a shared (memoised) value may refer back up the tree
        inner = next(
            (
                (label, child)
                for label, child in node.items
                if child.start <= opcode_index <= child.end and id(child) not in seen
            ),
            None,
        )
        if inner is None:
            break
        label, node = inner
        if isinstance(label, int):
            parts.append(f"[{label}]")
        elif isinstance(label, str) and label.isidentifier():
            parts.append(f".{label}" if parts else label)
        else:
            parts.append(f"[{label!r}]")
    return "".join(parts)
