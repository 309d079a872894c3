"""The backward graph and the engine that walks it.

Every non-leaf tensor points to the ``Node`` that made it (``tensor.grad_fn``) and to which of that
node's outputs it is (``_output_index``). A node's ``edges`` say where the gradient of each of its
differentiable inputs goes: ``(node, output_index)`` for an input made by another op, ``(tensor, 0)``
for a leaf that requires grad (its ``.grad`` accumulates), ``None`` for an input needing no gradient.
"""
from ..backend.device import namespace_of
from .anomaly_mode import state as anomaly_state
from .grad_mode import state

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved intermediate values after calling backward."
)


class Node:
    """One recorded operation of the backward graph.

    Subclasses implement ``backward(self, *grad_outputs) -> tuple`` with one gradient (a Tensor or
    None) per differentiable input, written with Tensor operations so that the backward pass itself is
    recorded when ``create_graph=True``. Tensors needed by backward are kept with ``save`` so that the
    engine can detect in-place modification after saving and release them once backward has run.
    """

    num_outputs = 1
    edges = ()
    saved = None
    saved_versions = None
    output_hooks = None
    released = False

    def save(self, *tensors):
        """Keep ``tensors`` for backward, remembering their versions to detect later in-place writes."""
        self.saved = tensors
        self.saved_versions = [t._version[0] if hasattr(t, "_version") else 0 for t in tensors]

    def saved_tensors_checked(self):
        """The saved tensors, after checking they were neither freed nor modified in place."""
        if self.released:
            raise RuntimeError(_FREED_MESSAGE)
        saved = self.saved
        if saved is None:
            return ()
        for position, (tensor, version) in enumerate(zip(saved, self.saved_versions)):
            if hasattr(tensor, "_version") and tensor._version[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{tensor.dtype} {list(tensor.shape)}], which is saved tensor {position} of "
                    f"{self.name()}, is at version {tensor._version[0]}; expected version {version} instead. "
                    "Hint: the operation that failed was run with the original values; do the in-place "
                    "operation out of place (e.g. x = x * 2 instead of x *= 2) or clone before it."
                )
        return saved

    def release(self):
        """Free what backward kept; a later backward through this node raises PyTorch's error."""
        if self.saved is not None:
            self.saved = None
            self.released = True
        self.release_extra()

    def release_extra(self):
        """Hook for nodes that keep more than saved tensors (e.g. a saved output's array)."""

    def name(self):
        return type(self).__name__ + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        return tuple(
            (None, 0) if edge is None else (edge[0] if isinstance(edge[0], Node) else AccumulateGrad(edge[0]), edge[1])
            for edge in self.edges
        )

    def register_prehook(self, hook):
        """``hook(grad_outputs) -> grad_outputs or None`` runs before this node's backward."""
        return self._add_output_hook(None, hook)

    def _add_output_hook(self, index, hook):
        if self.output_hooks is None:
            self.output_hooks = {}
        hooks = self.output_hooks.setdefault(index, [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)


class AccumulateGrad:
    """How ``next_functions`` shows a leaf: the node that accumulates into ``variable.grad``."""

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks, hook):
        self.hooks = hooks
        self.hook = hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def _apply_hooks(hooks, grad):
    for hook in hooks:
        result = hook(grad)
        if result is not None:
            grad = result
    return grad


def _needed_nodes(start_nodes, capture_nodes, capture_leaves):
    """Nodes from which a gradient reaches something asked for (only those run in ``autograd.grad``)."""
    needed = {}
    stack = [(node, False) for node in start_nodes]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            reaches = node in capture_nodes
            for edge in node.edges:
                if edge is not None:
                    target = edge[0]
                    if needed.get(target, False) if isinstance(target, Node) else id(target) in capture_leaves:
                        reaches = True
            needed[node] = reaches
            continue
        if node in needed:
            continue
        needed[node] = False  # provisional: the graph is acyclic, so this is overwritten below
        stack.append((node, True))
        for edge in node.edges:
            if edge is not None and isinstance(edge[0], Node) and edge[0] not in needed:
                stack.append((edge[0], False))
    return {node for node, reaches in needed.items() if reaches}


def run_backward(roots, root_grads, retain_graph, create_graph, inputs=None, accumulate=True):
    """Propagate ``root_grads`` from ``roots`` back through the graph.

    With ``accumulate`` the gradients reaching leaves (or only ``inputs``, when given) are added to
    their ``.grad``; without it (``autograd.grad``) the gradients of ``inputs`` are returned instead, in
    order, None where nothing reached an input.
    """
    previous_mode = state.enabled
    state.enabled = bool(create_graph)
    try:
        return _run(roots, root_grads, retain_graph, create_graph, inputs, accumulate)
    finally:
        state.enabled = previous_mode


def _run(roots, root_grads, retain_graph, create_graph, inputs, accumulate):
    buffers = {}
    leaf_grads = {}
    start_nodes = []
    handed_out = set()  # arrays given to a .grad already: a second holder gets a copy, never an alias
    for tensor, grad in zip(roots, root_grads):
        handed_out.add(id(grad._data))
        node = tensor._grad_fn
        if node is None:
            _add_leaf_grad(leaf_grads, tensor, grad)
            continue
        buffer = buffers.get(node)
        if buffer is None:
            buffer = buffers[node] = [None] * node.num_outputs
            start_nodes.append(node)
        index = tensor._output_index
        buffer[index] = grad if buffer[index] is None else buffer[index] + grad

    capture_nodes = {}
    capture_leaves = {}
    if inputs is not None:
        for position, tensor in enumerate(inputs):
            if tensor._grad_fn is None:
                capture_leaves[id(tensor)] = position
            else:
                capture_nodes.setdefault(tensor._grad_fn, []).append((tensor._output_index, position))
        needed = _needed_nodes(start_nodes, capture_nodes, capture_leaves)
        start_nodes = [node for node in start_nodes if node in needed]
    else:
        needed = None

    dependencies = {}
    seen = set(start_nodes)
    stack = list(start_nodes)
    while stack:
        node = stack.pop()
        for edge in node.edges:
            if edge is not None:
                target = edge[0]
                if isinstance(target, Node) and (needed is None or target in needed):
                    dependencies[target] = dependencies.get(target, 0) + 1
                    if target not in seen:
                        seen.add(target)
                        stack.append(target)

    captured = [None] * (len(inputs) if inputs is not None else 0)
    # Read once per backward call, so that anomaly detection costs nothing per node when it is off.
    check_nan = anomaly_state.enabled and anomaly_state.check_nan
    ready = [node for node in start_nodes if node not in dependencies]
    while ready:
        node = ready.pop()
        grads = buffers.pop(node, None) or [None] * node.num_outputs
        if node.output_hooks:
            for index, hooks in node.output_hooks.items():
                if index is None:  # register_prehook: the hooks see (and may replace) all output grads
                    for hook in list(hooks):
                        replaced = hook(tuple(grads))
                        if replaced is not None:
                            grads = list(replaced)
                elif grads[index] is not None:
                    grads[index] = _apply_hooks(hooks, grads[index])
        if node in capture_nodes:
            for index, position in capture_nodes[node]:
                captured[position] = grads[index]
        edges = node.edges
        if needed is not None and not any(
            edge is not None and (edge[0] in needed if isinstance(edge[0], Node) else id(edge[0]) in capture_leaves)
            for edge in edges
        ):
            input_grads = (None,) * len(edges)
        elif grads.count(None) == len(grads):
            input_grads = (None,) * len(edges)
        else:
            input_grads = node.run(grads)
            if len(input_grads) != len(edges):
                raise RuntimeError(
                    f"function {node.name()} returned an incorrect number of gradients "
                    f"(expected {len(edges)}, got {len(input_grads)})"
                )
            if check_nan:
                _raise_on_nan(node, input_grads)
        if not retain_graph:
            node.release()
        for edge, grad in zip(edges, input_grads):
            if edge is None:
                continue
            target, index = edge
            if isinstance(target, Node):
                if needed is not None and target not in needed:
                    continue
                if grad is not None:
                    buffer = buffers.get(target)
                    if buffer is None:
                        buffer = buffers[target] = [None] * target.num_outputs
                    buffer[index] = grad if buffer[index] is None else buffer[index] + grad
                remaining = dependencies[target] - 1
                dependencies[target] = remaining
                if remaining == 0:
                    ready.append(target)
            elif grad is not None:
                _add_leaf_grad(leaf_grads, target, grad)

    for tensor, grad in leaf_grads.values():
        if tensor._hooks:
            grad = _apply_hooks(tensor._hooks, grad)
        if inputs is not None:
            position = capture_leaves.get(id(tensor))
            if position is None:
                continue
            if not accumulate:
                captured[position] = grad
                continue
        _accumulate_into_grad(tensor, grad, create_graph, handed_out)
        # Once per leaf, not per op: register_post_accumulate_grad_hook keeps its hooks in the instance dict.
        post_accumulate_hooks = tensor.__dict__.get("_post_accumulate_grad_hooks")
        if post_accumulate_hooks:
            for hook in tuple(post_accumulate_hooks):
                hook(tensor)
    return captured


def _raise_on_nan(node, input_grads):
    """Anomaly mode: PyTorch's error for a backward function whose result holds a NaN."""
    for position, grad in enumerate(input_grads):
        if grad is not None and bool(namespace_of(grad._data).isnan(grad._data).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {position}th output.")


def _add_leaf_grad(leaf_grads, tensor, grad):
    key = id(tensor)
    entry = leaf_grads.get(key)
    if entry is None:
        leaf_grads[key] = [tensor, grad]
    else:
        entry[1] = entry[1] + grad


def _accumulate_into_grad(tensor, grad, create_graph, handed_out):
    if grad.shape != tensor.shape:
        raise RuntimeError(
            f"gradient of shape {list(grad.shape)} does not match the shape {list(tensor.shape)} of the tensor it accumulates into"
        )
    if grad.dtype is not tensor.dtype:
        grad = grad.to(tensor.dtype)
    existing = tensor._grad
    if create_graph:
        tensor._grad = grad if existing is None else existing + grad
        return
    if existing is None:
        data = grad._data
        if id(data) in handed_out or not (data.flags.writeable and data.flags.c_contiguous and data.base is None):
            data = data.copy()
        handed_out.add(id(data))
        tensor._grad = type(grad)._wrap(data)
    elif existing._grad_fn is not None or existing._requires_grad:
        tensor._grad = existing.detach() + grad.detach()
    else:
        existing._data += grad._data
        existing._version[0] += 1
