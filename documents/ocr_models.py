"""PP-OCR's models, rewritten at start-up into cheaper graphs that compute the same function.

PaddleOCR exports PP-LCNetV3, the backbone of PP-OCRv4's detector and recognizer, with every
convolution followed by a learnable affine (x * s + b: two elementwise ops), hard-swish spelled as
four ops (Add 3, Clip 0..6, Mul, Div 6), and a second affine. onnxruntime fuses none of them, so
these passes over large feature maps took 55% of the recognizer's time, more than its convolutions
(measured with onnxruntime's profiler, see docs/ocr.md). `simplify` rewrites the graph:

1. Hard-swish's four ops become x * HardSigmoid(x), which onnxruntime fuses into one op.
2. An affine after a convolution goes into its weights and bias: conv(x) * s + b is a convolution
   with weights W * s and bias bias * s + b.
3. An affine after hard-swish goes into the convolutions that read it: conv(x * s + b) has weights
   W * s and bias bias + b * sum(W). That holds only where they do not pad: zero padding of x * s + b
   is not zero padding of x. A padding convolution takes the scale, and the shift stays in front of
   it, adding b / s, as a 1x1 depthwise convolution: onnxruntime runs convolutions in a blocked
   layout, and a plain Add there cost two conversions out of and back into it (12% of the time).

The recognizer's outputs (probabilities) agree with the original's within 3e-4, and it reads the
same text. The rewrite takes about 0.1 s of CPU, from the model files inside rapidocr-onnxruntime's
wheel: nothing is cached, and nothing is downloaded.
"""

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper


def session(model_path: str | Path, threads: int) -> ort.InferenceSession:
    """An onnxruntime session of the simplified model: RapidOCR's options, but idle threads sleep."""
    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.enable_cpu_mem_arena = False
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: on a busy machine spinning burned 50% more CPU for
    # the same pages (4.0 against 2.7 CPU s/page with 2 threads, bench/ocr.py at load 6).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    model = simplify(Path(model_path).read_bytes())
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def simplify(model: bytes) -> bytes:
    graph = Graph(onnx.load_from_string(model))
    for node in graph.ops("Add"):
        graph.fuse_hard_swish(node)
    for node in graph.ops("Conv"):
        graph.fold_affine_into(node)
    for node in graph.ops("Mul"):
        if graph.alive(node) and node.output[0].endswith("_hard_swish"):
            graph.fold_affine_after(node)
    return graph.save()


class Graph:
    """An ONNX graph with what the rewrite needs: constants, and who reads each value."""

    def __init__(self, model: onnx.ModelProto) -> None:
        self.model = model
        self.constants: dict[str, np.ndarray] = {
            node.output[0]: numpy_helper.to_array(node.attribute[0].t)
            for node in model.graph.node
            if node.op_type == "Constant" and node.attribute[0].name == "value"
        }
        self.constants.update({i.name: numpy_helper.to_array(i) for i in model.graph.initializer})
        self.readers: dict[str, list[Any]] = {}
        for node in model.graph.node:
            for name in node.input:
                self.readers.setdefault(name, []).append(node)
        self.outputs = {output.name for output in model.graph.output}
        self.removed: set[str] = set()  # outputs of the nodes taken out (each is unique in ONNX)
        self.added: list[Any] = []

    def ops(self, op_type: str) -> list[Any]:
        return [node for node in [*self.model.graph.node, *self.added] if node.op_type == op_type]

    def alive(self, node: Any) -> bool:
        return node.output[0] not in self.removed

    def only_reader(self, name: str, op_type: str) -> Any:
        readers = self.readers.get(name, [])
        if len(readers) == 1 and name not in self.outputs and readers[0].op_type == op_type:
            return readers[0]
        return None

    def value(self, name: str) -> float | None:
        constant = self.constants.get(name)
        return float(constant.ravel()[0]) if constant is not None and constant.size == 1 else None

    def scalar(self, node: Any, value: str) -> float | None:
        """The constant scalar operand of a binary node whose other operand is `value`."""
        if len(node.input) != 2 or value not in node.input:
            return None
        return self.value(node.input[1] if node.input[0] == value else node.input[0])

    def fuse_hard_swish(self, add: Any) -> None:
        """x + 3 -> Clip(0, 6) -> * x -> / 6, into x * HardSigmoid(x)."""
        x = next((name for name in add.input if name not in self.constants), None)
        if x is None or self.scalar(add, x) != 3.0:
            return
        clip = self.only_reader(add.output[0], "Clip")
        if clip is None or [self.value(name) for name in clip.input[1:]] != [0.0, 6.0]:
            return
        mul = self.only_reader(clip.output[0], "Mul")
        if mul is None or sorted(mul.input) != sorted([x, clip.output[0]]):
            return
        div = self.only_reader(mul.output[0], "Div")
        if div is None or div.input[0] != mul.output[0] or self.scalar(div, mul.output[0]) != 6.0:
            return
        gate = helper.make_node("HardSigmoid", [x], [div.output[0] + "_gate"], alpha=1 / 6, beta=0.5)
        result = helper.make_node("Mul", [x, gate.output[0]], [div.output[0] + "_hard_swish"])
        self.added += [gate, result]
        self.readers[gate.output[0]] = [result]
        self.removed.update(node.output[0] for node in (add, clip, mul, div))
        self.rename(div.output[0], result.output[0])
        self.readers[x] = [node for node in self.readers[x] if self.alive(node)] + [gate, result]

    def affine(self, value: str) -> tuple[float, float, list[Any]]:
        """(s, b, nodes) of `* s` then `+ b` (either may be missing) read from `value` alone."""
        scale, shift, nodes = 1.0, 0.0, []
        mul = self.only_reader(value, "Mul")
        if mul is not None and (found := self.scalar(mul, value)) is not None:
            scale, nodes, value = found, [mul], mul.output[0]
        add = self.only_reader(value, "Add")
        if add is not None and (found := self.scalar(add, value)) is not None:
            shift, nodes = found, [*nodes, add]
        return scale, shift, nodes

    def fold_affine_into(self, conv: Any) -> None:
        scale, shift, nodes = self.affine(conv.output[0])
        if not nodes:
            return
        weights, bias = self.weights(conv)
        self.set_weights(conv, weights * scale, bias * scale + shift)
        self.removed.update(node.output[0] for node in nodes)
        self.readers[conv.output[0]] = []
        self.rename(nodes[-1].output[0], conv.output[0])

    def fold_affine_after(self, source: Any) -> None:
        value = source.output[0]
        scale, shift, nodes = self.affine(value)
        convs = self.readers.get(nodes[-1].output[0], []) if nodes else []
        if not convs or any(node.op_type != "Conv" or node.input[0] != nodes[-1].output[0] for node in convs):
            return
        if shift and any(pads(conv) for conv in convs):
            self.keep_shift(value, scale, shift, nodes, convs)
            return
        for conv in convs:
            weights, bias = self.weights(conv)
            self.set_weights(conv, weights * scale, bias + shift * weights.sum(axis=(1, 2, 3)))
            replace(conv.input, 0, value)
        self.removed.update(node.output[0] for node in nodes)
        self.readers[value] = [node for node in self.readers[value] if node is not nodes[0]] + convs

    def keep_shift(self, value: str, scale: float, shift: float, nodes: list[Any], convs: list[Any]) -> None:
        """x * s + b -> padding conv, into x -> 1x1 conv adding b / s -> conv with weights W * s."""
        if len(nodes) != 2 or scale == 0:
            return
        mul, add = nodes
        for conv in convs:
            weights, bias = self.weights(conv)
            self.set_weights(conv, weights * scale, bias)
        attributes = {item.name: helper.get_attribute_value(item) for item in convs[0].attribute}
        channels = self.constants[convs[0].input[1]].shape[1] * attributes.get("group", 1)
        shifter = helper.make_node(
            "Conv",
            [
                value,
                self.constant(add.output[0] + "_one", np.ones((channels, 1, 1, 1))),
                self.constant(add.output[0] + "_shift", np.full(channels, shift / scale)),
            ],
            [add.output[0] + "_shifted"],
            group=channels,
        )
        self.added.append(shifter)
        self.removed.update({mul.output[0], add.output[0]})
        self.rename(add.output[0], shifter.output[0])
        self.readers[value] = [node for node in self.readers[value] if node is not mul] + [shifter]

    def weights(self, conv: Any) -> tuple[np.ndarray, np.ndarray]:
        weights = self.constants[conv.input[1]].astype(np.float32)
        if len(conv.input) > 2 and conv.input[2]:
            return weights, self.constants[conv.input[2]].astype(np.float32)
        return weights, np.zeros(weights.shape[0], np.float32)

    def set_weights(self, conv: Any, weights: np.ndarray, bias: np.ndarray) -> None:
        replace(conv.input, 1, self.constant(conv.output[0] + "_w", weights))
        replace(conv.input, 2, self.constant(conv.output[0] + "_b", bias))

    def constant(self, name: str, value: np.ndarray) -> str:
        name = self.unique(name)
        self.constants[name] = value.astype(np.float32)
        self.model.graph.initializer.append(numpy_helper.from_array(self.constants[name], name))
        return name

    def unique(self, name: str) -> str:
        while name in self.constants:
            name += "_"
        return name

    def rename(self, old: str, new: str) -> None:
        """Readers of `old` read `new` instead."""
        for node in self.readers.pop(old, []):
            for index, name in enumerate(node.input):
                if name == old:
                    replace(node.input, index, new)
            self.readers.setdefault(new, []).append(node)
        for output in self.model.graph.output:
            if output.name == old:
                raise ValueError(f"cannot rename the graph output {old}")

    def save(self) -> bytes:
        nodes = [node for node in self.model.graph.node if self.alive(node)] + self.added
        used = {name for node in nodes for name in node.input} | self.outputs
        nodes = [node for node in nodes if node.op_type != "Constant" or node.output[0] in used]
        graph = self.model.graph
        initializers = [i for i in graph.initializer if i.name in used]
        del graph.node[:], graph.initializer[:]
        graph.node.extend(topological(nodes, {i.name for i in graph.input} | {i.name for i in initializers}))
        graph.initializer.extend(initializers)
        return self.model.SerializeToString()


def replace(inputs: Any, index: int, name: str) -> None:
    """Set input `index` of a node (appending it if the node has fewer)."""
    if index < len(inputs):
        inputs[index] = name
    else:
        inputs.append(name)


def pads(conv: Any) -> bool:
    attributes = {attribute.name: helper.get_attribute_value(attribute) for attribute in conv.attribute}
    auto_pad = attributes.get("auto_pad", b"NOTSET")
    return any(attributes.get("pads", [])) or auto_pad not in (b"NOTSET", b"VALID")


def topological(nodes: list[Any], available: set[str]) -> list[Any]:
    """The nodes in an order where each one's inputs are computed before it (ONNX requires it)."""
    missing = {id(node): {name for name in node.input if name and name not in available} for node in nodes}
    readers: dict[str, list[Any]] = {}
    for node in nodes:
        for name in missing[id(node)]:
            readers.setdefault(name, []).append(node)
    ordered = [node for node in nodes if not missing[id(node)]]
    for node in ordered:  # grows while it is read
        for name in node.output:
            for reader in readers.pop(name, []):
                missing[id(reader)].discard(name)
                if not missing[id(reader)]:
                    ordered.append(reader)
    if len(ordered) != len(nodes):
        raise ValueError("the rewritten graph has a cycle or a missing input")
    return ordered
