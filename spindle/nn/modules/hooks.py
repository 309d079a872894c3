"""Handles returned by ``Module.register_forward_hook`` and friends (PyTorch's ``torch.utils.hooks``)."""
import weakref


class RemovableHandle:
    """A handle that removes one registered hook from its dictionaries with ``remove()``.

    ``hooks_dict`` maps hook ids to hooks; ``extra_dict`` is one dictionary or a list of dictionaries
    keyed by the same id (e.g. the set of hooks that take kwargs) that are cleaned up together.
    The handle holds only weak references, so it never keeps a module alive. It is also a context
    manager that removes the hook on exit.
    """

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in (extra_dict or ()))

    def remove(self):
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            dictionary = ref()
            if dictionary is not None and self.id in dictionary:
                del dictionary[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
