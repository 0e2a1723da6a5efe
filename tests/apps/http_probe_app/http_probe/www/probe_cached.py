COUNTER = {"n": 0}


def get_context(context):
    COUNTER["n"] += 1
    context.counter = COUNTER["n"]
