; Nuclear Energy with Feaver Frontrunner V5, written from docs STRATEGIES.md ("Nuclear").
; RSI windows are 10 sessions unless a window is written.
; Choices where the description leaves room (listed here so a reader can check them):
; - "Overbought" cascades: each level tests the next index at 81 and falls through to the next
;   index; the last else is UVXY 75% / BTAL 25%.
; - The VOX step tests XLF > 81 (not VOX), as the original does.
; - Bull: the inverse-volatility weighting has ONE child, the filter, and a filter's picks share
;   equally: 1/3 each. Composer's recorded holdings confirm it on 9 of 9 recorded days (2026-01-20:
;   BWXT 0.334, LEU 0.333, OKLO 0.333); docs/strategy-language.md, "Filters".
; - Bear: the two groups are weighted by the inverse of the 14-session volatility of each group's
;   own simulated daily return stream; an asset both groups pick gets the sum of its two shares.
(defsymphony
 "Nuclear Energy with Feaver Frontrunner V5"
 {:asset-class "EQUITIES", :rebalance-frequency :daily}
 (weight-equal
  [(if
    (> (rsi "SPY" {:window 10}) 79)
    [(group
      "Overbought: SPY"
      [(if
        (> (rsi "SPY" {:window 10}) 81)
        [(asset "UVXY")]
        [(if
          (> (rsi "IOO" {:window 10}) 81)
          [(asset "UVXY")]
          [(if
            (> (rsi "TQQQ" {:window 10}) 81)
            [(asset "UVXY")]
            [(if
              (> (rsi "VTV" {:window 10}) 81)
              [(asset "UVXY")]
              [(if
                (> (rsi "XLF" {:window 10}) 81)
                [(asset "UVXY")]
                [(weight-specified 0.75 (asset "UVXY") 0.25 (asset "BTAL"))])])])])])])]
    [(if
      (> (rsi "IOO" {:window 10}) 79)
      [(group
        "Overbought: IOO"
        [(if
          (> (rsi "IOO" {:window 10}) 81)
          [(asset "UVXY")]
          [(if
            (> (rsi "TQQQ" {:window 10}) 81)
            [(asset "UVXY")]
            [(if
              (> (rsi "VTV" {:window 10}) 81)
              [(asset "UVXY")]
              [(if
                (> (rsi "XLF" {:window 10}) 81)
                [(asset "UVXY")]
                [(weight-specified 0.75 (asset "UVXY") 0.25 (asset "BTAL"))])])])])])]
      [(if
        (> (rsi "TQQQ" {:window 10}) 79)
        [(group
          "Overbought: TQQQ"
          [(if
            (> (rsi "TQQQ" {:window 10}) 81)
            [(asset "UVXY")]
            [(if
              (> (rsi "VTV" {:window 10}) 81)
              [(asset "UVXY")]
              [(if
                (> (rsi "XLF" {:window 10}) 81)
                [(asset "UVXY")]
                [(weight-specified 0.75 (asset "UVXY") 0.25 (asset "BTAL"))])])])])]
        [(if
          (> (rsi "VTV" {:window 10}) 79)
          [(group
            "Overbought: VTV"
            [(if
              (> (rsi "VTV" {:window 10}) 81)
              [(asset "UVXY")]
              [(if
                (> (rsi "XLF" {:window 10}) 81)
                [(asset "UVXY")]
                [(weight-specified 0.75 (asset "UVXY") 0.25 (asset "BTAL"))])])])]
          [(if
            (> (rsi "XLF" {:window 10}) 79)
            [(group
              "Overbought: XLF"
              [(if
                (> (rsi "XLF" {:window 10}) 81)
                [(asset "UVXY")]
                [(weight-specified 0.75 (asset "UVXY") 0.25 (asset "BTAL"))])])]
            [(if
              (> (rsi "VOX" {:window 10}) 79)
              [(group
                "Overbought: VOX"
                ; The original tests XLF here, not VOX; kept on purpose.
                [(if
                  (> (rsi "XLF" {:window 10}) 81)
                  [(asset "UVXY")]
                  [(weight-specified 0.75 (asset "UVXY") 0.25 (asset "BTAL"))])])]
              [(if
                (< (rsi "TQQQ" {:window 10}) 30)
                [(asset "TQQQ")]
                [(if
                  (< (rsi "SPY" {:window 10}) 30)
                  [(asset "UPRO")]
                  [(if
                    (> (current-price "SPY") (moving-average-price "SPY" {:window 200}))
                    [(group
                      "Bull: nuclear energy top 3"
                      [(weight-inverse-volatility
                        90
                        [(filter
                          (moving-average-return {:window 90})
                          (select-top 3)
                          [(asset "SMR" "NuScale Power")
                           (asset "BWXT" "BWX Technologies")
                           (asset "LEU" "Centrus Energy")
                           (asset "EXC" "Exelon")
                           (asset "NLR" "VanEck Uranium and Nuclear ETF")
                           (asset "OKLO" "Oklo")])])])]
                    [(group
                      "Bear"
                      [(weight-inverse-volatility
                        14
                        [(group
                          "Bear1"
                          [(if
                            (< (rsi "PSQ" {:window 10}) 35)
                            [(asset "SQQQ")]
                            [(if
                              (< (cumulative-return "QQQ" {:window 60}) -10)
                              [(if
                                (> (rsi "TLT" {:window 20}) (rsi "PSQ" {:window 20}))
                                [(asset "TQQQ")]
                                [(asset "PSQ")])]
                              [(if
                                (> (current-price "TQQQ") (moving-average-price "TQQQ" {:window 20}))
                                [(if
                                  (> (rsi "TLT" {:window 20}) (rsi "PSQ" {:window 20}))
                                  [(asset "TQQQ")]
                                  [(asset "SQQQ")])]
                                [(if
                                  (> (rsi "IEF" {:window 10}) (rsi "PSQ" {:window 20}))
                                  [(asset "SQQQ")]
                                  [(if
                                    (> (rsi "TLT" {:window 20}) (rsi "PSQ" {:window 20}))
                                    [(asset "QQQ")]
                                    [(asset "SQQQ")])])])])])])
                         (group
                          "Bear2"
                          [(if
                            (< (rsi "PSQ" {:window 10}) 35)
                            [(asset "SQQQ")]
                            [(if
                              (> (current-price "TQQQ") (moving-average-price "TQQQ" {:window 20}))
                              [(if
                                (> (rsi "TLT" {:window 20}) (rsi "PSQ" {:window 20}))
                                [(asset "TQQQ")]
                                [(asset "SQQQ")])]
                              [(if
                                (> (rsi "TLT" {:window 20}) (rsi "PSQ" {:window 20}))
                                [(asset "QQQ")]
                                [(asset "SQQQ")])])])])])])])])])])])])])])])]))
