"""Amounts in words, in the form ERPNext prints them ("USD Twenty Four only.")."""

from frappe.utils import cint, flt

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
	"fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_GROUPS = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))

# Fraction unit names for the currencies a MedGrid site is likely to use (Frappe reads them
# from the Currency doctype, which this subset does not ship).
FRACTION_UNITS = {"USD": "Cent", "EUR": "Cent", "CAD": "Cent", "AUD": "Cent", "GBP": "Penny", "INR": "Paisa"}


def number_in_words(number):
	"""English words for a non-negative integer, British style: 1234 -> one thousand, two hundred
	and thirty-four."""
	n = int(number)
	if n < 20:
		return _ONES[n]
	if n < 100:
		tens, ones = divmod(n, 10)
		return _TENS[tens] + ("-" + _ONES[ones] if ones else "")
	if n < 1000:
		hundreds, rest = divmod(n, 100)
		return _ONES[hundreds] + " hundred" + (" and " + number_in_words(rest) if rest else "")
	for size, name in _GROUPS:
		if n >= size:
			head, rest = divmod(n, size)
			text = number_in_words(head) + " " + name
			if not rest:
				return text
			joiner = " and " if rest < 100 else ", "
			return text + joiner + number_in_words(rest)
	return str(n)


def in_words(number):
	"""Title-cased words without hyphens ("Twenty Four")."""
	return number_in_words(number).replace("-", " ").title()


def money_in_words(amount, currency=None):
	"""`amount` in `currency` as words, e.g. 24.5 USD -> "USD Twenty Four and Fifty Cent only."."""
	amount = flt(amount, 2)
	if amount < 0:
		return ""
	main, fraction = divmod(round(amount * 100), 100)
	text = (currency + " " if currency else "") + in_words(main)
	if cint(fraction):
		unit = FRACTION_UNITS.get(currency or "", "")
		text += " and " + in_words(fraction) + (" " + unit if unit else "")
	return text + " only."
