"""Research: backtests, walk-forward and the price sources used outside Lambda (CSV folders, the
synthetic market). Not shipped to Lambda."""
