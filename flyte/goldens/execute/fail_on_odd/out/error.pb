
Ê
USER:RuntimeError¤Trace:

    Traceback (most recent call last):
      File "/tmp/tmp.nKQIYvR9b4/venv/lib/python3.11/site-packages/flytekit/core/base_task.py", line 767, in dispatch_execute
        native_outputs = self.execute(**native_inputs)
                         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.nKQIYvR9b4/venv/lib/python3.11/site-packages/flytekit/core/python_function_task.py", line 214, in execute
        return self._task_function(**kwargs)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/work/main/flyte/goldens/entry/tasks.py", line 9, in fail_on_odd
        raise ValueError(f"{x} is odd")
    ValueError: 3 is odd

Message:

    ValueError: 3 is odd *‘·œØûÿò°