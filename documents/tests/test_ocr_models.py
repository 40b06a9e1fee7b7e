"""The OCR models are rewritten at start-up (documents/ocr_models.py): fewer ops, the same function."""

from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import rapidocr_onnxruntime
from onnx import TensorProto, helper, numpy_helper

from documents import ocr_models

MODELS = Path(rapidocr_onnxruntime.__file__).parent / "models"


def run(model: bytes, image: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: image})[0]


def ops(model: bytes) -> Counter[str]:
    return Counter(node.op_type for node in onnx.load_from_string(model).graph.node)


def test_it_simplifies_the_recognizer_without_changing_what_it_reads() -> None:
    original = (MODELS / "ch_PP-OCRv4_rec_infer.onnx").read_bytes()
    simplified = ocr_models.simplify(original)
    image = np.random.default_rng(1).uniform(-1, 1, (2, 3, 48, 320)).astype(np.float32)
    before, after = run(original, image), run(simplified, image)
    assert np.abs(before - after).max() < 1e-3
    assert (before.argmax(axis=2) == after.argmax(axis=2)).all()
    assert ops(simplified)["Clip"] == 0 and ops(simplified)["Div"] < ops(original)["Div"]
    assert sum(ops(simplified).values()) < sum(ops(original).values()) * 0.7


def test_it_simplifies_the_detector_without_changing_its_map() -> None:
    original = (MODELS / "ch_PP-OCRv4_det_infer.onnx").read_bytes()
    image = np.random.default_rng(2).uniform(-1, 1, (1, 3, 96, 128)).astype(np.float32)
    assert np.abs(run(original, image) - run(ocr_models.simplify(original), image)).max() < 1e-3


def test_it_keeps_the_shift_before_a_convolution_that_pads() -> None:
    """conv -> affine -> hard-swish -> affine -> padding conv and 1x1 conv: a shift folded into a
    padding conv's bias would be wrong along the borders, so it stays; the result is exact."""
    simplified = ocr_models.simplify(block_model())
    image = np.random.default_rng(3).normal(size=(1, 4, 6, 7)).astype(np.float32)
    assert np.abs(run(block_model(), image) - run(simplified, image)).max() < 1e-4
    assert ops(simplified) == {"Conv": 4, "HardSigmoid": 1, "Mul": 1}  # the shift: a 1x1 conv


def block_model() -> bytes:
    rng = np.random.default_rng(4)
    constants = {
        "w1": rng.normal(size=(4, 4, 1, 1)),
        "b1": rng.normal(size=4),
        "w2": rng.normal(size=(4, 1, 3, 3)),
        "b2": rng.normal(size=4),
        "w3": rng.normal(size=(2, 4, 1, 1)),
        **{name: np.array([value]) for name, value in [("s", 1.7), ("a", 0.4), ("t", 0.3), ("c", -0.6)]},
        **{name: np.array(value) for name, value in [("three", 3.0), ("zero", 0.0), ("six", 6.0)]},
    }
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"]),
        helper.make_node("Mul", ["s", "c1"], ["m1"]),
        helper.make_node("Add", ["m1", "a"], ["y"]),
        helper.make_node("Add", ["y", "three"], ["y3"]),
        helper.make_node("Clip", ["y3", "zero", "six"], ["clip"]),
        helper.make_node("Mul", ["y", "clip"], ["ym"]),
        helper.make_node("Div", ["ym", "six"], ["hs"]),
        helper.make_node("Mul", ["t", "hs"], ["m2"]),
        helper.make_node("Add", ["m2", "c"], ["z"]),
        helper.make_node("Conv", ["z", "w2", "b2"], ["out1"], group=4, pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["out1", "w3"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "block",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 7])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(value.astype(np.float32), name) for name, value in constants.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)]).SerializeToString()
