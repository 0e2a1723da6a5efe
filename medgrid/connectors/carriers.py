"""Public tracking pages by carrier (vendor-facts §1.6).

ShipStation V1 shipments carry a carrier code and a number but no tracking URL, and other vendors
sometimes leave the URL out, so MedGrid builds one. The templates are carrier conventions, not a
vendor contract: they live here, in one table, so a carrier that moves its page is a one-line change.
"""

from __future__ import annotations

from urllib.parse import quote

UPS = "https://www.ups.com/track?tracknum={n}"
FEDEX = "https://www.fedex.com/fedextrack/?trknbr={n}"
USPS = "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}"
DHL = "https://www.dhl.com/us-en/home/tracking.html?tracking-id={n}"

# ShipStation carrier codes and the carrier names other vendors send, lower-cased
TRACKING_URL_TEMPLATES = {
    "ups": UPS, "ups_walleted": UPS,
    "fedex": FEDEX, "fedex_walleted": FEDEX,
    # stamps.com and Endicia sell USPS labels
    "usps": USPS, "stamps_com": USPS, "endicia": USPS,
    "dhl": DHL, "dhl_express": DHL, "dhl_express_worldwide": DHL,
}


def tracking_url(carrier: str | None, number: str | None) -> str | None:
    """The carrier's tracking page for ``number``, or None for an unknown carrier (the carrier code and
    the number are still stored, so nothing is lost)."""
    if not carrier or not number:
        return None
    key = str(carrier).strip().lower().replace(" ", "_").replace("-", "_").replace(".", "_")
    template = TRACKING_URL_TEMPLATES.get(key)
    return template.format(n=quote(str(number).strip(), safe="")) if template else None


# How a person reads a carrier: ShipStation's codes and the names vendors send, lower-cased like the table above
CARRIER_NAMES = {
    "ups": "UPS", "ups_walleted": "UPS", "fedex": "FedEx", "fedex_walleted": "FedEx",
    "usps": "USPS", "stamps_com": "USPS", "endicia": "USPS",
    "dhl": "DHL", "dhl_express": "DHL Express", "dhl_express_worldwide": "DHL Express",
}


def carrier_label(carrier: str | None) -> str | None:
    """The carrier's everyday name ("ups" and "UPS" both read "UPS"); an unknown carrier as the vendor wrote it."""
    if not carrier:
        return None
    key = str(carrier).strip().lower().replace(" ", "_").replace("-", "_").replace(".", "_")
    return CARRIER_NAMES.get(key, str(carrier).strip())
