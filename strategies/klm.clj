; KMLM sorter: an ensemble of eight variants, written from docs STRATEGIES.md ("KLM").
; The whole strategy is one filter: hold 100% in the variant (group) whose own simulated daily return
; stream had the highest 5-session standard deviation of returns.
; RSI windows are 10 sessions unless a window is written.
; Choices where the description leaves room:
; - Group names are the variants' names from the table; 410/38 is written out as the same tree as
;   506/38. Their streams are identical, so a tie between them is broken by name (410/38 first);
;   either way the holdings are the same.
; - Overbought chain (seven variants): RSI > 79 on QQQE, VTV, VOX, TECL, VOOG, VOOV; RSI(XLP) > 75;
;   RSI(TQQQ) > 79; RSI > 80 on XLY, FAS, SPY; each test sends the variant to UVXY.
; - Single-pop: RSI21(UVXY) > 65 (UVIX for Nova), then RSI21(SPY) > 30 ? VIXM : SPXL.
; - Pop bot RSIs are 10 sessions (TQQQ < 30 -> TECL, SOXL < 30, SPXL < 30, LABU < 25 where marked).
; - 530/18: the VIX blends are equal weightings where UVXY listed twice counts twice (Blend++ = UVXY
;   2/3, VIXM 1/3). The "or" test of overbought group B is a chain of ifs leading to VIXY.
;   "KMLM+FNGU" is written out in full wherever it is used (three places). Its FNGU group is
;   equal(FNGU, top 1 by mar20) and is ranked by the RSI of the group's own NAV.
(defsymphony "KMLM sorter (8 variants)"
  {:asset-class "EQUITIES", :rebalance-frequency :daily}
  (weight-equal [
    (filter (stdev-return {:window 5}) (select-top 1) [
      ; 506/38: single-pop UVXY; XLK -> FNGU; else -> lowest sdr6 of UUP, FTLS, KMLM
      (group "506/38" [
        (if (> (rsi "QQQE" {:window 10}) 79) [
          (asset "UVXY")
        ] [
          (if (> (rsi "VTV" {:window 10}) 79) [
            (asset "UVXY")
          ] [
            (if (> (rsi "VOX" {:window 10}) 79) [
              (asset "UVXY")
            ] [
              (if (> (rsi "TECL" {:window 10}) 79) [
                (asset "UVXY")
              ] [
                (if (> (rsi "VOOG" {:window 10}) 79) [
                  (asset "UVXY")
                ] [
                  (if (> (rsi "VOOV" {:window 10}) 79) [
                    (asset "UVXY")
                  ] [
                    (if (> (rsi "XLP" {:window 10}) 75) [
                      (asset "UVXY")
                    ] [
                      (if (> (rsi "TQQQ" {:window 10}) 79) [
                        (asset "UVXY")
                      ] [
                        (if (> (rsi "XLY" {:window 10}) 80) [
                          (asset "UVXY")
                        ] [
                          (if (> (rsi "FAS" {:window 10}) 80) [
                            (asset "UVXY")
                          ] [
                            (if (> (rsi "SPY" {:window 10}) 80) [
                              (asset "UVXY")
                            ] [
                              (if (> (rsi "UVXY" {:window 21}) 65) [
                                (if (> (rsi "SPY" {:window 21}) 30) [
                                  (asset "VIXM")
                                ] [
                                  (asset "SPXL")
                                ])
                              ] [
                                (if (< (rsi "TQQQ" {:window 10}) 30) [
                                  (asset "TECL")
                                ] [
                                  (if (< (rsi "SOXL" {:window 10}) 30) [
                                    (asset "SOXL")
                                  ] [
                                    (if (< (rsi "SPXL" {:window 10}) 30) [
                                      (asset "SPXL")
                                    ] [
                                      (if (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10})) [
                                        (asset "FNGU")
                                      ] [
                                        (filter (stdev-return {:window 6}) (select-bottom 1) [
                                          (asset "UUP")
                                          (asset "FTLS")
                                          (asset "KMLM")
                                        ])
                                      ])
                                    ])
                                  ])
                                ])
                              ])
                            ])
                          ])
                        ])
                      ])
                    ])
                  ])
                ])
              ])
            ])
          ])
        ])
      ])
      ; 1280/26: no single-pop; pop bot with LABU; XLK -> bottom 2 by RSI; else -> top 1 by RSI
      (group "1280/26" [
        (if (> (rsi "QQQE" {:window 10}) 79) [
          (asset "UVXY")
        ] [
          (if (> (rsi "VTV" {:window 10}) 79) [
            (asset "UVXY")
          ] [
            (if (> (rsi "VOX" {:window 10}) 79) [
              (asset "UVXY")
            ] [
              (if (> (rsi "TECL" {:window 10}) 79) [
                (asset "UVXY")
              ] [
                (if (> (rsi "VOOG" {:window 10}) 79) [
                  (asset "UVXY")
                ] [
                  (if (> (rsi "VOOV" {:window 10}) 79) [
                    (asset "UVXY")
                  ] [
                    (if (> (rsi "XLP" {:window 10}) 75) [
                      (asset "UVXY")
                    ] [
                      (if (> (rsi "TQQQ" {:window 10}) 79) [
                        (asset "UVXY")
                      ] [
                        (if (> (rsi "XLY" {:window 10}) 80) [
                          (asset "UVXY")
                        ] [
                          (if (> (rsi "FAS" {:window 10}) 80) [
                            (asset "UVXY")
                          ] [
                            (if (> (rsi "SPY" {:window 10}) 80) [
                              (asset "UVXY")
                            ] [
                              (if (< (rsi "TQQQ" {:window 10}) 30) [
                                (asset "TECL")
                              ] [
                                (if (< (rsi "SOXL" {:window 10}) 30) [
                                  (asset "SOXL")
                                ] [
                                  (if (< (rsi "SPXL" {:window 10}) 30) [
                                    (asset "SPXL")
                                  ] [
                                    (if (< (rsi "LABU" {:window 10}) 25) [
                                      (asset "LABU")
                                    ] [
                                      (if (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10})) [
                                        (filter (rsi {:window 10}) (select-bottom 2) [
                                          (asset "TECL")
                                          (asset "SOXL")
                                          (asset "SVIX")
                                        ])
                                      ] [
                                        (filter (rsi {:window 10}) (select-top 1) [
                                          (asset "SQQQ")
                                          (asset "TLT")
                                        ])
                                      ])
                                    ])
                                  ])
                                ])
                              ])
                            ])
                          ])
                        ])
                      ])
                    ])
                  ])
                ])
              ])
            ])
          ])
        ])
      ])
      ; 1200/28: single-pop UVXY; XLK -> bottom 1 by RSI; else -> top 1 by RSI of SQQQ, TLT
      (group "1200/28" [
        (if (> (rsi "QQQE" {:window 10}) 79) [
          (asset "UVXY")
        ] [
          (if (> (rsi "VTV" {:window 10}) 79) [
            (asset "UVXY")
          ] [
            (if (> (rsi "VOX" {:window 10}) 79) [
              (asset "UVXY")
            ] [
              (if (> (rsi "TECL" {:window 10}) 79) [
                (asset "UVXY")
              ] [
                (if (> (rsi "VOOG" {:window 10}) 79) [
                  (asset "UVXY")
                ] [
                  (if (> (rsi "VOOV" {:window 10}) 79) [
                    (asset "UVXY")
                  ] [
                    (if (> (rsi "XLP" {:window 10}) 75) [
                      (asset "UVXY")
                    ] [
                      (if (> (rsi "TQQQ" {:window 10}) 79) [
                        (asset "UVXY")
                      ] [
                        (if (> (rsi "XLY" {:window 10}) 80) [
                          (asset "UVXY")
                        ] [
                          (if (> (rsi "FAS" {:window 10}) 80) [
                            (asset "UVXY")
                          ] [
                            (if (> (rsi "SPY" {:window 10}) 80) [
                              (asset "UVXY")
                            ] [
                              (if (> (rsi "UVXY" {:window 21}) 65) [
                                (if (> (rsi "SPY" {:window 21}) 30) [
                                  (asset "VIXM")
                                ] [
                                  (asset "SPXL")
                                ])
                              ] [
                                (if (< (rsi "TQQQ" {:window 10}) 30) [
                                  (asset "TECL")
                                ] [
                                  (if (< (rsi "SOXL" {:window 10}) 30) [
                                    (asset "SOXL")
                                  ] [
                                    (if (< (rsi "SPXL" {:window 10}) 30) [
                                      (asset "SPXL")
                                    ] [
                                      (if (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10})) [
                                        (filter (rsi {:window 10}) (select-bottom 1) [
                                          (asset "TECL")
                                          (asset "SOXL")
                                          (asset "SVIX")
                                        ])
                                      ] [
                                        (filter (rsi {:window 10}) (select-top 1) [
                                          (asset "SQQQ")
                                          (asset "TLT")
                                        ])
                                      ])
                                    ])
                                  ])
                                ])
                              ])
                            ])
                          ])
                        ])
                      ])
                    ])
                  ])
                ])
              ])
            ])
          ])
        ])
      ])
      ; 520/22 Original: XLK -> bottom 1 by RSI of TECL, SVIX; else -> bottom 3 by sdr6
      (group "520/22 Original" [
        (if (> (rsi "QQQE" {:window 10}) 79) [
          (asset "UVXY")
        ] [
          (if (> (rsi "VTV" {:window 10}) 79) [
            (asset "UVXY")
          ] [
            (if (> (rsi "VOX" {:window 10}) 79) [
              (asset "UVXY")
            ] [
              (if (> (rsi "TECL" {:window 10}) 79) [
                (asset "UVXY")
              ] [
                (if (> (rsi "VOOG" {:window 10}) 79) [
                  (asset "UVXY")
                ] [
                  (if (> (rsi "VOOV" {:window 10}) 79) [
                    (asset "UVXY")
                  ] [
                    (if (> (rsi "XLP" {:window 10}) 75) [
                      (asset "UVXY")
                    ] [
                      (if (> (rsi "TQQQ" {:window 10}) 79) [
                        (asset "UVXY")
                      ] [
                        (if (> (rsi "XLY" {:window 10}) 80) [
                          (asset "UVXY")
                        ] [
                          (if (> (rsi "FAS" {:window 10}) 80) [
                            (asset "UVXY")
                          ] [
                            (if (> (rsi "SPY" {:window 10}) 80) [
                              (asset "UVXY")
                            ] [
                              (if (> (rsi "UVXY" {:window 21}) 65) [
                                (if (> (rsi "SPY" {:window 21}) 30) [
                                  (asset "VIXM")
                                ] [
                                  (asset "SPXL")
                                ])
                              ] [
                                (if (< (rsi "TQQQ" {:window 10}) 30) [
                                  (asset "TECL")
                                ] [
                                  (if (< (rsi "SOXL" {:window 10}) 30) [
                                    (asset "SOXL")
                                  ] [
                                    (if (< (rsi "SPXL" {:window 10}) 30) [
                                      (asset "SPXL")
                                    ] [
                                      (if (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10})) [
                                        (filter (rsi {:window 10}) (select-bottom 1) [
                                          (asset "TECL")
                                          (asset "SVIX")
                                        ])
                                      ] [
                                        (filter (stdev-return {:window 6}) (select-bottom 3) [
                                          (asset "TMV")
                                          (asset "TMF")
                                          (asset "SVXY")
                                          (asset "VIXM")
                                          (asset "FTLS")
                                          (asset "KMLM")
                                          (asset "UUP")
                                        ])
                                      ])
                                    ])
                                  ])
                                ])
                              ])
                            ])
                          ])
                        ])
                      ])
                    ])
                  ])
                ])
              ])
            ])
          ])
        ])
      ])
      ; 410/38: the same tree as 506/38
      (group "410/38" [
        (if (> (rsi "QQQE" {:window 10}) 79) [
          (asset "UVXY")
        ] [
          (if (> (rsi "VTV" {:window 10}) 79) [
            (asset "UVXY")
          ] [
            (if (> (rsi "VOX" {:window 10}) 79) [
              (asset "UVXY")
            ] [
              (if (> (rsi "TECL" {:window 10}) 79) [
                (asset "UVXY")
              ] [
                (if (> (rsi "VOOG" {:window 10}) 79) [
                  (asset "UVXY")
                ] [
                  (if (> (rsi "VOOV" {:window 10}) 79) [
                    (asset "UVXY")
                  ] [
                    (if (> (rsi "XLP" {:window 10}) 75) [
                      (asset "UVXY")
                    ] [
                      (if (> (rsi "TQQQ" {:window 10}) 79) [
                        (asset "UVXY")
                      ] [
                        (if (> (rsi "XLY" {:window 10}) 80) [
                          (asset "UVXY")
                        ] [
                          (if (> (rsi "FAS" {:window 10}) 80) [
                            (asset "UVXY")
                          ] [
                            (if (> (rsi "SPY" {:window 10}) 80) [
                              (asset "UVXY")
                            ] [
                              (if (> (rsi "UVXY" {:window 21}) 65) [
                                (if (> (rsi "SPY" {:window 21}) 30) [
                                  (asset "VIXM")
                                ] [
                                  (asset "SPXL")
                                ])
                              ] [
                                (if (< (rsi "TQQQ" {:window 10}) 30) [
                                  (asset "TECL")
                                ] [
                                  (if (< (rsi "SOXL" {:window 10}) 30) [
                                    (asset "SOXL")
                                  ] [
                                    (if (< (rsi "SPXL" {:window 10}) 30) [
                                      (asset "SPXL")
                                    ] [
                                      (if (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10})) [
                                        (asset "FNGU")
                                      ] [
                                        (filter (stdev-return {:window 6}) (select-bottom 1) [
                                          (asset "UUP")
                                          (asset "FTLS")
                                          (asset "KMLM")
                                        ])
                                      ])
                                    ])
                                  ])
                                ])
                              ])
                            ])
                          ])
                        ])
                      ])
                    ])
                  ])
                ])
              ])
            ])
          ])
        ])
      ])
      ; Nova: single-pop on UVIX; XLK -> top 1 by RSI11 of FNGO and mega caps
      (group "Nova" [
        (if (> (rsi "QQQE" {:window 10}) 79) [
          (asset "UVXY")
        ] [
          (if (> (rsi "VTV" {:window 10}) 79) [
            (asset "UVXY")
          ] [
            (if (> (rsi "VOX" {:window 10}) 79) [
              (asset "UVXY")
            ] [
              (if (> (rsi "TECL" {:window 10}) 79) [
                (asset "UVXY")
              ] [
                (if (> (rsi "VOOG" {:window 10}) 79) [
                  (asset "UVXY")
                ] [
                  (if (> (rsi "VOOV" {:window 10}) 79) [
                    (asset "UVXY")
                  ] [
                    (if (> (rsi "XLP" {:window 10}) 75) [
                      (asset "UVXY")
                    ] [
                      (if (> (rsi "TQQQ" {:window 10}) 79) [
                        (asset "UVXY")
                      ] [
                        (if (> (rsi "XLY" {:window 10}) 80) [
                          (asset "UVXY")
                        ] [
                          (if (> (rsi "FAS" {:window 10}) 80) [
                            (asset "UVXY")
                          ] [
                            (if (> (rsi "SPY" {:window 10}) 80) [
                              (asset "UVXY")
                            ] [
                              (if (> (rsi "UVIX" {:window 21}) 65) [
                                (if (> (rsi "SPY" {:window 21}) 30) [
                                  (asset "VIXM")
                                ] [
                                  (asset "SPXL")
                                ])
                              ] [
                                (if (< (rsi "TQQQ" {:window 10}) 30) [
                                  (asset "TECL")
                                ] [
                                  (if (< (rsi "SOXL" {:window 10}) 30) [
                                    (asset "SOXL")
                                  ] [
                                    (if (< (rsi "SPXL" {:window 10}) 30) [
                                      (asset "SPXL")
                                    ] [
                                      (if (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10})) [
                                        (filter (rsi {:window 11}) (select-top 1) [
                                          (asset "FNGO")
                                          (asset "TSLA")
                                          (asset "MSFT")
                                          (asset "AAPL")
                                          (asset "NVDA")
                                          (asset "GOOGL")
                                          (asset "AMZN")
                                        ])
                                      ] [
                                        (filter (stdev-return {:window 6}) (select-bottom 1) [
                                          (asset "UUP")
                                          (asset "FTLS")
                                          (asset "KMLM")
                                        ])
                                      ])
                                    ])
                                  ])
                                ])
                              ])
                            ])
                          ])
                        ])
                      ])
                    ])
                  ])
                ])
              ])
            ])
          ])
        ])
      ])
      ; 830/21: else -> BND trend decides between KMLM/SPLV and TLT/LABD/TZA
      (group "830/21" [
        (if (> (rsi "QQQE" {:window 10}) 79) [
          (asset "UVXY")
        ] [
          (if (> (rsi "VTV" {:window 10}) 79) [
            (asset "UVXY")
          ] [
            (if (> (rsi "VOX" {:window 10}) 79) [
              (asset "UVXY")
            ] [
              (if (> (rsi "TECL" {:window 10}) 79) [
                (asset "UVXY")
              ] [
                (if (> (rsi "VOOG" {:window 10}) 79) [
                  (asset "UVXY")
                ] [
                  (if (> (rsi "VOOV" {:window 10}) 79) [
                    (asset "UVXY")
                  ] [
                    (if (> (rsi "XLP" {:window 10}) 75) [
                      (asset "UVXY")
                    ] [
                      (if (> (rsi "TQQQ" {:window 10}) 79) [
                        (asset "UVXY")
                      ] [
                        (if (> (rsi "XLY" {:window 10}) 80) [
                          (asset "UVXY")
                        ] [
                          (if (> (rsi "FAS" {:window 10}) 80) [
                            (asset "UVXY")
                          ] [
                            (if (> (rsi "SPY" {:window 10}) 80) [
                              (asset "UVXY")
                            ] [
                              (if (> (rsi "UVXY" {:window 21}) 65) [
                                (if (> (rsi "SPY" {:window 21}) 30) [
                                  (asset "VIXM")
                                ] [
                                  (asset "SPXL")
                                ])
                              ] [
                                (if (< (rsi "TQQQ" {:window 10}) 30) [
                                  (asset "TECL")
                                ] [
                                  (if (< (rsi "SOXL" {:window 10}) 30) [
                                    (asset "SOXL")
                                  ] [
                                    (if (< (rsi "SPXL" {:window 10}) 30) [
                                      (asset "SPXL")
                                    ] [
                                      (if (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10})) [
                                        (filter (rsi {:window 10}) (select-top 1) [
                                          (asset "TECL")
                                          (asset "SOXL")
                                          (asset "SVIX")
                                        ])
                                      ] [
                                        (if (> (moving-average-return "BND" {:window 20}) 0) [
                                          (filter (rsi {:window 10}) (select-bottom 1) [
                                            (asset "KMLM")
                                            (asset "SPLV")
                                          ])
                                        ] [
                                          (filter (rsi {:window 10}) (select-top 1) [
                                            (asset "TLT")
                                            (asset "LABD")
                                            (asset "TZA")
                                          ])
                                        ])
                                      ])
                                    ])
                                  ])
                                ])
                              ])
                            ])
                          ])
                        ])
                      ])
                    ])
                  ])
                ])
              ])
            ])
          ])
        ])
      ])
      ; 530/18: its own VIX-blend chain, then overbought or holy grail
      (group "530/18 KMLM Switcher (Anansi mods)" [
        (if (> (rsi "SPY" {:window 10}) 80) [
          (if (> (rsi "SPY" {:window 10}) 82.5) [
            (group "VIX Blend++" [
              (weight-equal [
                (asset "UVXY")
                (asset "UVXY")
                (asset "VIXM")
              ])
            ])
          ] [
            (group "VIX Blend+" [
              (weight-equal [
                (asset "UVXY")
                (asset "VXX")
                (asset "VIXM")
              ])
            ])
          ])
        ] [
          (if (> (rsi "IOO" {:window 10}) 80) [
            (if (> (rsi "IOO" {:window 10}) 82.5) [
              (group "VIX Blend++" [
                (weight-equal [
                  (asset "UVXY")
                  (asset "UVXY")
                  (asset "VIXM")
                ])
              ])
            ] [
              (group "VIX Blend+" [
                (weight-equal [
                  (asset "UVXY")
                  (asset "VXX")
                  (asset "VIXM")
                ])
              ])
            ])
          ] [
            (if (> (rsi "QQQ" {:window 10}) 79) [
              (if (> (rsi "QQQ" {:window 10}) 82.5) [
                (group "VIX Blend++" [
                  (weight-equal [
                    (asset "UVXY")
                    (asset "UVXY")
                    (asset "VIXM")
                  ])
                ])
              ] [
                (group "VIX Blend+" [
                  (weight-equal [
                    (asset "UVXY")
                    (asset "VXX")
                    (asset "VIXM")
                  ])
                ])
              ])
            ] [
              (if (> (rsi "VTV" {:window 10}) 79) [
                (if (> (rsi "VTV" {:window 10}) 85) [
                  (group "VIX Blend+" [
                    (weight-equal [
                      (asset "UVXY")
                      (asset "VXX")
                      (asset "VIXM")
                    ])
                  ])
                ] [
                  (group "VIX Blend" [
                    (weight-equal [
                      (asset "VIXY")
                      (asset "VXX")
                      (asset "VIXM")
                    ])
                  ])
                ])
              ] [
                (if (> (rsi "XLP" {:window 10}) 77) [
                  (if (> (rsi "XLP" {:window 10}) 85) [
                    (group "VIX Blend+" [
                      (weight-equal [
                        (asset "UVXY")
                        (asset "VXX")
                        (asset "VIXM")
                      ])
                    ])
                  ] [
                    (group "VIX Blend" [
                      (weight-equal [
                        (asset "VIXY")
                        (asset "VXX")
                        (asset "VIXM")
                      ])
                    ])
                  ])
                ] [
                  (if (> (rsi "XLF" {:window 10}) 81) [
                    (if (> (rsi "XLF" {:window 10}) 85) [
                      (group "VIX Blend+" [
                        (weight-equal [
                          (asset "UVXY")
                          (asset "VXX")
                          (asset "VIXM")
                        ])
                      ])
                    ] [
                      (group "VIX Blend" [
                        (weight-equal [
                          (asset "VIXY")
                          (asset "VXX")
                          (asset "VIXM")
                        ])
                      ])
                    ])
                  ] [
                    (if (> (rsi "RETL" {:window 10}) 82) [
                      (if (> (rsi "RETL" {:window 10}) 85) [
                        (group "VIX Blend" [
                          (weight-equal [
                            (asset "VIXY")
                            (asset "VXX")
                            (asset "VIXM")
                          ])
                        ])
                      ] [
                        (group "BTAL + BIL" [
                          (weight-equal [
                            (asset "BTAL")
                            (asset "BIL")
                          ])
                        ])
                      ])
                    ] [
                      (if (> (rsi "SPY" {:window 70}) 63) [
                        (group "Overbought" [
                          (weight-equal [
                            (group "Overbought A: risk-on or metals" [
                              (if (> (rsi "AGG" {:window 15}) (rsi "QQQ" {:window 15})) [
                                (weight-equal [
                                  (asset "TQQQ")
                                  (asset "SPXL")
                                  (asset "SOXL")
                                  (asset "FNGU")
                                  (asset "ERX")
                                ])
                              ] [
                                (weight-specified
                                  0.5 (asset "GLD")
                                  0.25 (asset "SLV")
                                  0.25 (asset "PDBC"))
                              ])
                            ])
                            (group "Overbought B: VIXY or metals" [
                              (if (> (rsi "QQQ" {:window 90}) 60) [
                                (asset "VIXY")
                              ] [
                                (if (> (rsi "QQQ" {:window 14}) 80) [
                                  (asset "VIXY")
                                ] [
                                  (if (> (rsi "QQQ" {:window 5}) 90) [
                                    (asset "VIXY")
                                  ] [
                                    (if (> (rsi "QQQ" {:window 3}) 95) [
                                      (asset "VIXY")
                                    ] [
                                      (weight-specified
                                        0.5 (asset "GLD")
                                        0.25 (asset "SLV")
                                        0.25 (asset "PDBC"))
                                    ])
                                  ])
                                ])
                              ])
                            ])
                          ])
                        ])
                      ] [
                        (group "Holy grail" [
                          (if (> (rsi "VOX" {:window 10}) 79) [
                            (group "VIX Blend" [
                              (weight-equal [
                                (asset "VIXY")
                                (asset "VXX")
                                (asset "VIXM")
                              ])
                            ])
                          ] [
                            (if (> (rsi "XLP" {:window 10}) 75) [
                              (group "VIX Blend" [
                                (weight-equal [
                                  (asset "VIXY")
                                  (asset "VXX")
                                  (asset "VIXM")
                                ])
                              ])
                            ] [
                              (if (< (cumulative-return "TQQQ" {:window 6}) -12) [
                                (if (> (cumulative-return "TQQQ" {:window 1}) 5.5) [
                                  (group "VIX Blend+" [
                                    (weight-equal [
                                      (asset "UVXY")
                                      (asset "VXX")
                                      (asset "VIXM")
                                    ])
                                  ])
                                ] [
                                  (if (< (rsi "TQQQ" {:window 10}) 31) [
                                    (asset "TECL")
                                  ] [
                                    (if (< (rsi "SOXL" {:window 10}) 30) [
                                      (asset "SOXL")
                                    ] [
                                      (if (< (rsi "SPXL" {:window 10}) 30) [
                                        (asset "SPXL")
                                      ] [
                                        (group "KMLM+FNGU" [
                                          (if (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10})) [
                                            (filter (rsi {:window 10}) (select-bottom 1) [
                                              (asset "TECL")
                                              (asset "SVXY")
                                              (group "FNGU + momentum leader" [
                                                (weight-equal [
                                                  (asset "FNGU")
                                                  (filter (moving-average-return {:window 20}) (select-top 1) [
                                                    (asset "FNGU")
                                                    (asset "SPXL")
                                                    (asset "XLE")
                                                    (asset "XLK")
                                                    (asset "AGG")
                                                  ])
                                                ])
                                              ])
                                            ])
                                          ] [
                                            (filter (stdev-return {:window 6}) (select-bottom 3) [
                                              (asset "SVXY")
                                              (asset "VIXM")
                                              (asset "FTLS")
                                              (asset "KMLM")
                                              (asset "UUP")
                                            ])
                                          ])
                                        ])
                                      ])
                                    ])
                                  ])
                                ])
                              ] [
                                (if (> (current-price "SPY") (moving-average-price "SPY" {:window 200})) [
                                  (if (< (moving-average-price "SPY" {:window 3}) (moving-average-price "SPY" {:window 200})) [
                                    (filter (rsi {:window 10}) (select-top 2) [
                                      (asset "TQQQ")
                                      (asset "SPXL")
                                      (asset "TMF")
                                    ])
                                  ] [
                                    (group "KMLM+FNGU" [
                                      (if (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10})) [
                                        (filter (rsi {:window 10}) (select-bottom 1) [
                                          (asset "TECL")
                                          (asset "SVXY")
                                          (group "FNGU + momentum leader" [
                                            (weight-equal [
                                              (asset "FNGU")
                                              (filter (moving-average-return {:window 20}) (select-top 1) [
                                                (asset "FNGU")
                                                (asset "SPXL")
                                                (asset "XLE")
                                                (asset "XLK")
                                                (asset "AGG")
                                              ])
                                            ])
                                          ])
                                        ])
                                      ] [
                                        (filter (stdev-return {:window 6}) (select-bottom 3) [
                                          (asset "SVXY")
                                          (asset "VIXM")
                                          (asset "FTLS")
                                          (asset "KMLM")
                                          (asset "UUP")
                                        ])
                                      ])
                                    ])
                                  ])
                                ] [
                                  (if (> (moving-average-price "SPY" {:window 3}) (moving-average-price "SPY" {:window 200})) [
                                    (filter (rsi {:window 10}) (select-top 2) [
                                      (asset "SQQQ")
                                      (asset "SPXU")
                                      (asset "TMF")
                                      (asset "TMV")
                                    ])
                                  ] [
                                    (if (< (rsi "QQQ" {:window 10}) 31) [
                                      (asset "TECL")
                                    ] [
                                      (if (< (rsi "SPY" {:window 10}) 30) [
                                        (asset "UPRO")
                                      ] [
                                        (if (< (cumulative-return "QQQ" {:window 60}) -12) [
                                          (asset "BIL")
                                        ] [
                                          (if (> (current-price "TQQQ") (moving-average-price "TQQQ" {:window 20})) [
                                            (if (< (rsi "PSQ" {:window 10}) 32.5) [
                                              (asset "PSQ")
                                            ] [
                                              (group "KMLM+FNGU" [
                                                (if (> (rsi "XLK" {:window 10}) (rsi "KMLM" {:window 10})) [
                                                  (filter (rsi {:window 10}) (select-bottom 1) [
                                                    (asset "TECL")
                                                    (asset "SVXY")
                                                    (group "FNGU + momentum leader" [
                                                      (weight-equal [
                                                        (asset "FNGU")
                                                        (filter (moving-average-return {:window 20}) (select-top 1) [
                                                          (asset "FNGU")
                                                          (asset "SPXL")
                                                          (asset "XLE")
                                                          (asset "XLK")
                                                          (asset "AGG")
                                                        ])
                                                      ])
                                                    ])
                                                  ])
                                                ] [
                                                  (filter (stdev-return {:window 6}) (select-bottom 3) [
                                                    (asset "SVXY")
                                                    (asset "VIXM")
                                                    (asset "FTLS")
                                                    (asset "KMLM")
                                                    (asset "UUP")
                                                  ])
                                                ])
                                              ])
                                            ])
                                          ] [
                                            (if (> (rsi "IEF" {:window 10}) (rsi "PSQ" {:window 20})) [
                                              (asset "PSQ")
                                            ] [
                                              (asset "QID")
                                            ])
                                          ])
                                        ])
                                      ])
                                    ])
                                  ])
                                ])
                              ])
                            ])
                          ])
                        ])
                      ])
                    ])
                  ])
                ])
              ])
            ])
          ])
        ])
      ])
    ])
  ]))
