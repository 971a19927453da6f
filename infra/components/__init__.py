"""One construct per concern: data, pipeline, api, analytics, monitoring; and the function factory."""
