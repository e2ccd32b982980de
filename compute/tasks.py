from celery import shared_task

from compute import pools


@shared_task(acks_late=True)
def sample_pools() -> int:
    return pools.sample()
