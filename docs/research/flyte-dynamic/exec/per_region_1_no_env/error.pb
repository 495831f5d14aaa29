
Í
USER:RuntimeError©Trace:

    Traceback (most recent call last):
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/core/base_task.py", line 767, in dispatch_execute
        native_outputs = self.execute(**native_inputs)
                         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/core/python_function_task.py", line 216, in execute
        return self.dynamic_execute(self._task_function, **kwargs)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/core/python_function_task.py", line 370, in dynamic_execute
        return self.compile_into_workflow(ctx, task_function, **kwargs)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/core/python_function_task.py", line 266, in compile_into_workflow
        workflow_spec: admin_workflow_models.WorkflowSpec = get_serializable(
                                                            ^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/tools/translator.py", line 845, in get_serializable
        cp_entity = get_serializable_workflow(entity_mapping, settings, entity, options)
                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/tools/translator.py", line 239, in get_serializable_workflow
        serialized_nodes.append(get_serializable(entity_mapping, settings, n, options))
                                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/tools/translator.py", line 848, in get_serializable
        cp_entity = get_serializable_node(entity_mapping, settings, entity, options)
                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/tools/translator.py", line 499, in get_serializable_node
        task_spec = get_serializable(entity_mapping, settings, entity.flyte_entity, options=options)
                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/tools/translator.py", line 842, in get_serializable
        cp_entity = get_serializable_task(entity_mapping, settings, entity)
                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/tools/translator.py", line 164, in get_serializable_task
        container = entity.get_container(settings)
                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/core/python_auto_container.py", line 233, in get_container
        return self._get_container(settings)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/core/python_auto_container.py", line 258, in _get_container
        image=self.get_image(settings),
              ^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/core/python_auto_container.py", line 226, in get_image
        return get_registerable_container_image(self.container_image, settings.image_config)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/tmp/tmp.r0uegevx7M/venv/lib/python3.11/site-packages/flytekit/core/python_auto_container.py", line 488, in get_registerable_container_image
        raise ValueError("An image is required for PythonAutoContainer tasks")
    ValueError: An image is required for PythonAutoContainer tasks

Message:

    ValueError: An image is required for PythonAutoContainer tasks *
†™ÐØŒœ