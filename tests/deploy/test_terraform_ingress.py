"""The load balancers tell the services who the client is, and the services believe only that.

The ALB appends the address it saw to X-Forwarded-For ("append"); the services take the client from
that one trusted hop (CDD_TRUSTED_PROXY_HOPS=1, apps/core/middleware.py). Either half without the
other lets a client choose its own address, or files every client under the load balancer's.
"""

from __future__ import annotations

from tests.deploy.terraform_model import module


def test_every_load_balancer_appends_the_client_address_and_drops_malformed_headers():
    lb = module("ingress").resource("aws_lb", "this")
    assert lb["for_each"] == "${var.http_services}"
    assert lb["xff_header_processing_mode"] == "append"
    assert lb["enable_xff_client_port"] is False  # an address, not address:port
    assert lb["drop_invalid_header_fields"] is True


def test_the_http_services_trust_exactly_the_one_hop_the_load_balancer_adds():
    environment = module("environment")
    assert environment.locals["behind_alb"] == {"CDD_TRUSTED_PROXY_HOPS": "1"}
    services = environment.locals["services"]
    http_branch = services.split('kind == "http" ?', 1)[1].split(':', 1)[0]
    assert "local.behind_alb" in http_branch
