"""Workshop mode: several site replicas behind nginx (`serve`), and the store they share for
class polls and learners' progress (`store`)."""
