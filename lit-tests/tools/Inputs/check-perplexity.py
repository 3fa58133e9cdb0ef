"""check-perplexity.py OUTPUT RECIPE.json TOLERANCE: the final perplexity in
`tern perplexity`'s OUTPUT agrees with the recipe's "heldout_perplexity"
within TOLERANCE (relative); prints both and exits 1 when they do not."""
import json
import re
import sys

out, recipe, tolerance = sys.argv[1], sys.argv[2], float(sys.argv[3])
m = re.search(r"Final estimate: PPL = ([0-9.]+)", open(out).read())
if not m:
    sys.exit("no 'Final estimate' line in " + out)
tern = float(m.group(1))
want = json.load(open(recipe))["heldout_perplexity"]
print("tern %.6f, recipe %.6f, relative difference %.2e" %
      (tern, want, abs(tern - want) / want))
sys.exit(0 if abs(tern - want) <= tolerance * want else 1)
