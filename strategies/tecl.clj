; TECL For The Long Term (v7), written from docs STRATEGIES.md ("TECL").
; RSI windows are 10 sessions unless a window is written.
; Choices where the description leaves room:
; - "RSI9" in the last bear step is the only 9-session RSI; it ranks SQQQ and BSV (top 1).
; - The regime test is price > SMA200 strictly (equal counts as bear).
(defsymphony
 "TECL For The Long Term (v7)"
 {:asset-class "EQUITIES", :rebalance-frequency :daily}
 (weight-equal
  [(if
    (> (current-price "SPY") (moving-average-price "SPY" {:window 200}))
    [(group
      "Bull market"
      [(if
        (> (rsi "TQQQ" {:window 10}) 79)
        [(weight-specified 0.25 (asset "UVXY") 0.75 (asset "BIL"))]
        [(if
          (> (rsi "SPY" {:window 10}) 80)
          [(weight-specified 0.25 (asset "UVXY") 0.75 (asset "BIL"))]
          [(if
            (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10}))
            [(if (> (rsi "XLK" {:window 10}) 81) [(asset "BIL")] [(asset "TECL")])]
            [(if (< (rsi "XLK" {:window 10}) 29) [(asset "TECL")] [(asset "BIL")])])])])])]
    [(group
      "Bear market"
      [(if
        (< (rsi "TQQQ" {:window 10}) 31)
        [(asset "TECL")]
        [(if
          (< (rsi "SPXL" {:window 10}) 29)
          [(asset "SPXL")]
          [(if
            (> (rsi "UVXY" {:window 10}) 74)
            [(if
              (> (rsi "UVXY" {:window 10}) 84)
              [(weight-specified 0.15 (asset "UVXY") 0.85 (asset "BIL"))]
              [(asset "BIL")])]
            [(if
              (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10}))
              [(if (> (rsi "XLK" {:window 10}) 81) [(asset "BIL")] [(asset "TECL")])]
              [(if
                (< (rsi "XLK" {:window 10}) 29)
                [(asset "TECL")]
                [(filter (rsi {:window 9}) (select-top 1) [(asset "SQQQ") (asset "BSV")])])])])])])])])]))
